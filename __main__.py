"""The stack: validated configuration in, components wired together, outputs out."""

import pulumi

from components.backups import BackupArgs, Backups
from components.certificates import Certificates, CertificatesArgs
from components.coolify import Coolify, CoolifyArgs
from components.data_services import DataServices, DataServicesArgs
from components.dns import Dns, DnsArgs
from components.host import Host, HostArgs
from components.monitoring import Monitoring, MonitoringArgs, main_server_containers, worker_peers
from components.naming import Naming
from components.upgrade_backup import UpgradeBackup, UpgradeBackupArgs
from components.workers import Workers, WorkersArgs
from stack_config import load_from_pulumi

config = load_from_pulumi()
naming = Naming.for_stack(config.environment)

host = Host(
    "host",
    HostArgs(
        server=config.server,
        protection=config.protection,
        admin_ssh_keys=config.admin_ssh_keys,
        admin_cidrs=config.admin_cidrs,
        close_direct_ports=config.coolify.close_direct_ports,
        naming=naming,
        deploy_key_rotation=config.rotation.deploy_key,
    ),
)
before_upgrade: list[pulumi.Resource] = []
if config.backups.enabled:
    postgres_image = config.postgres.image if config.postgres.enabled else None
    upgrade_backup = UpgradeBackup(
        "upgrade-backup", UpgradeBackupArgs(host, config.coolify.version, postgres_image, after=[host.hardened])
    )
    before_upgrade.append(upgrade_backup.done)
coolify = Coolify("coolify", CoolifyArgs(config.coolify, host, after=before_upgrade))
workers = None
if config.workers.count:
    workers = Workers(
        "workers",
        WorkersArgs(
            settings=config.workers,
            host=host,
            admin_cidrs=config.admin_cidrs,
            coolify_api_token=config.coolify_api_token,
            health_check_host=config.hostname(config.workers.load_balancer.health_check_label),
            naming=naming,
            after=[coolify.ready],
        ),
    )
dns = Dns("dns", DnsArgs(config.dns, config.domain, host.addresses, workers.app_addresses if workers else None, naming))
if workers and workers.app_addresses and config.domain and config.workers.load_balancer.certificates == "dns-01":
    Certificates(
        "certificates",
        CertificatesArgs(config.dns, config.domain, config.coolify.admin_email, host, workers, naming, [coolify.ready]),
    )
data = DataServices(
    "data",
    DataServicesArgs(
        config.postgres, config.redis, config.docker, host, config.protection, naming, [coolify.ready], config.rotation
    ),
)
if config.backups.enabled:
    backups = Backups(
        "backups",
        BackupArgs(
            settings=config.backups,
            s3_credentials=config.backup_s3_credentials(),
            postgres=data.postgres,
            host=host,
            protection=config.protection,
            naming=naming,
            after=[coolify.ready],
            token_rotation=config.rotation.backup_token,
        ),
    )
    pulumi.export("backupEndpoint", backups.endpoint)
    pulumi.export("backupBucket", backups.bucket)
    pulumi.export("backupPrefix", backups.prefix)
    pulumi.export("backupAccessKeyId", backups.access_key_id)
    pulumi.export("backupSecretAccessKey", backups.secret_access_key)
    pulumi.export("backupSigningKey", backups.signing_key)
if config.monitoring.enabled:
    Monitoring(
        "monitoring",
        MonitoringArgs(
            settings=config.monitoring,
            webhook_url=config.monitoring_webhook_url,
            heartbeat_url=config.monitoring_heartbeat_url,
            server=host.access,
            naming=naming,
            dashboard_hostname=dns.dashboard_hostname,
            containers=main_server_containers(data),
            backups_enabled=config.backups.enabled,
            peers=worker_peers(workers.private_ips) if workers else {},
            # After the backup job, whose first backup is the one the monitor first finds, and the workers it pings.
            after=[
                coolify.ready,
                data,
                *([backups] if config.backups.enabled else []),
                *(worker.hardened for worker in (workers.servers if workers else [])),
            ],
        ),
    )
    for index, worker in enumerate(workers.servers if workers else []):
        Monitoring(
            f"monitoring-worker-{index + 1}",
            MonitoringArgs(
                settings=config.monitoring,
                webhook_url=config.monitoring_webhook_url,
                heartbeat_url=None,
                server=worker.access,
                naming=naming,
                dashboard_hostname=None,
                containers=(),
                backups_enabled=False,
                peers={},
                after=[worker.hardened],
            ),
        )

pulumi.export("environment", config.environment)
pulumi.export("serverId", host.server_id)
pulumi.export("ipv4Address", host.ipv4_address)
pulumi.export("ipv6Address", host.ipv6_address)
pulumi.export("sshCommand", host.ssh_command)
# For known_hosts and the smoke check: the key every connection of `pulumi up` pins.
pulumi.export("serverHostKey", host.host_key)
pulumi.export("hostnames", dns.hostnames)
pulumi.export("dashboardHostname", dns.dashboard_hostname)
pulumi.export("deployPublicKey", host.deploy_public_key)
pulumi.export("deployPrivateKey", host.deploy_private_key)
pulumi.export("coolifyDashboardUrl", dns.dashboard_url)
pulumi.export("coolifyTunnelCommand", coolify.tunnel_command)
pulumi.export("coolifyAdminEmail", coolify.admin_email)
pulumi.export("coolifyAdminPassword", coolify.admin_password)
if data.postgres:
    pulumi.export("databaseUrl", data.postgres.url)
    pulumi.export("postgresHost", data.postgres.host)
    pulumi.export("postgresTunnel", data.postgres.tunnel)
if data.redis:
    pulumi.export("redisUrl", data.redis.url)
    pulumi.export("redisHost", data.redis.host)
if workers:
    pulumi.export("workerPrivateIps", workers.private_ips)
    pulumi.export("loadBalancerIpv4", workers.load_balancer_ipv4)
    pulumi.export("loadBalancerIpv6", workers.load_balancer_ipv6)
    if workers.registration_steps is not None:
        pulumi.export("coolifyWorkerSteps", workers.registration_steps)
