"""A server's monitor. On the main server: disk, memory, CPU, the Coolify and data containers, backup freshness, the
dashboard's TLS certificate and whether each worker answers, checked every few minutes; a webhook hears of every
change (alert, resolved), and a heartbeat URL is pinged after every pass for an external dead-man's switch. On a
worker: disk, memory and CPU to the same webhook, no heartbeat: a dead worker is the main server's alert, a dead
main server the heartbeat's.

Children: one `remote.Command` that installs the monitor (`scripts/install-monitor.sh`): `scripts/monitor.sh`, its
settings, the two URLs as root-only credential files (secrets, sent as SSH environment), a systemd timer, and one
pass that must succeed. Why a script and not an agent from Debian's archive: see `scripts/monitor.sh`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pydantic import SecretStr

from components.data_services import DataServices
from components.naming import Naming
from components.remote_steps import ServerAccess, remote_step
from components.server_scripts import server_script, template_text
from components.service_containers import REDIS_HOST
from components.templates import environment_file, render_template
from stack_config.monitoring import MonitoringSettings

# Coolify's own containers: the dashboard, its database, its Redis and realtime, by the names of its compose file
# (coollabsio/coolify@v4.3.10:docker-compose.yml:3,16,22,27; unchanged at main 379abb2), and the proxy it starts
# itself (coollabsio/coolify@v4.3.10:bootstrap/helpers/proxy.php:277).
COOLIFY_CONTAINERS = ("coolify", "coolify-db", "coolify-redis", "coolify-realtime", "coolify-proxy")
# Written by hetzner-coolify-backup.service after each successful backup (its ExecStartPost=).
BACKUP_STAMP = "/var/lib/hetzner-coolify/backup-succeeded"


@dataclass(frozen=True)
class MonitoringArgs:
    settings: MonitoringSettings
    webhook_url: SecretStr | None
    """Where changes are posted (a secret); None: they reach the server's journal only."""
    heartbeat_url: SecretStr | None
    """Pinged after every pass (a secret); None: no heartbeat."""
    server: ServerAccess
    """The server the monitor runs on."""
    naming: Naming
    """Names the stack in every alert."""
    dashboard_hostname: pulumi.Input[str] | None
    """The name the dashboard's certificate is checked for; None: no certificate check."""
    containers: Sequence[str]
    """The containers to watch."""
    backups_enabled: bool
    """Whether the newest successful backup's age is checked."""
    peers: Mapping[str, str]
    """Servers whose answer to ping this one checks, name -> address (the workers, on the private network)."""
    after: Sequence[pulumi.Resource]
    """What must run before the monitor is installed (Coolify, the data services, the backup job)."""


def main_server_containers(data: DataServices) -> list[str]:
    """Coolify's containers and those of the data services the stack runs."""
    data_containers = [
        *([data.postgres.container_name] if data.postgres else []),
        *([REDIS_HOST] if data.redis else []),
    ]
    return [*COOLIFY_CONTAINERS, *data_containers]


def worker_peers(private_ips: Sequence[str]) -> dict[str, str]:
    """The workers as the main server's monitor names them, by their private addresses."""
    return {f"worker-{index + 1}": address for index, address in enumerate(private_ips)}


def monitor_settings(
    settings: MonitoringSettings,
    *,
    stack: str,
    dashboard_hostname: str,
    containers: Sequence[str],
    backups: bool,
    peers: Mapping[str, str],
) -> dict[str, str]:
    thresholds = settings.thresholds
    return {
        "MONITOR_STACK": stack,
        "MONITOR_FORMAT": settings.webhook_format,
        "MONITOR_CPU_PERCENT": str(thresholds.cpu_percent),
        "MONITOR_MEMORY_PERCENT": str(thresholds.memory_percent),
        "MONITOR_DISK_PERCENT": str(thresholds.disk_percent),
        "MONITOR_BACKUP_MAX_AGE_HOURS": str(thresholds.backup_max_age_hours),
        "MONITOR_BACKUP_STAMP": BACKUP_STAMP if backups else "",
        "MONITOR_CERTIFICATE_MIN_DAYS": str(thresholds.certificate_min_days),
        "MONITOR_DASHBOARD_HOSTNAME": dashboard_hostname,
        "MONITOR_CONTAINERS": " ".join(containers),
        "MONITOR_PEERS": " ".join(f"{name}={address}" for name, address in peers.items()),
    }


def monitor_inputs(settings: MonitoringSettings, values: dict[str, str]) -> dict[str, str]:
    return {
        "MONITOR_SCRIPT": server_script("monitor.sh").text,
        "MONITOR_ENV": environment_file(values),
        "MONITOR_SERVICE": template_text("hetzner-coolify-monitor.service"),
        "MONITOR_TIMER": render_template(
            "hetzner-coolify-monitor.timer", {"interval_minutes": str(settings.interval_minutes)}
        ),
    }


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:monitoring:Monitoring", name, None, opts)
        inputs = pulumi.Output.from_input(args.dashboard_hostname or "").apply(
            lambda hostname: monitor_inputs(
                args.settings,
                monitor_settings(
                    args.settings,
                    stack=args.naming.prefix,
                    dashboard_hostname=hostname,
                    containers=args.containers,
                    backups=args.backups_enabled,
                    peers=args.peers,
                ),
            )
        )
        secrets = {
            variable: pulumi.Output.secret(url.get_secret_value())
            for variable, url in (
                ("MONITOR_WEBHOOK_URL", args.webhook_url),
                ("MONITOR_HEARTBEAT_URL", args.heartbeat_url),
            )
            if url is not None
        }
        install = remote_step(
            f"{name}-install",
            args.server,
            "install-monitor.sh",
            inputs,
            parent=self,
            after=args.after,
            secrets=secrets or None,
        )
        self.register_outputs({"installed": install.id})
