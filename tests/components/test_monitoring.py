"""The monitoring component on the server it watches: one install step, thresholds from config, the URLs as
secrets or not at all; and the program's wiring of it."""

import functools

import pytest

from components.monitoring import COOLIFY_CONTAINERS, Monitoring, MonitoringArgs, main_server_containers
from preview.engine import RecordedResource, RecordedStack
from preview.values import Secret, reveal
from stack_config import StackConfig
from tests.components.conftest import data_services, naming, record_components, running_coolify
from tests.conftest import STACKS
from tests.conftest import record as record_program

WEBHOOK = "https://ntfy.sh/acme-alerts-7f3c9e1d2b"
HEARTBEAT = "https://hc-ping.com/5b1f0c2e-8d7a-4e3b-9c6f-1a2b3c4d5e6f"
URLS = {"monitoringWebhookUrl": WEBHOOK, "monitoringHeartbeatUrl": HEARTBEAT}
URL_KEYS = frozenset(URLS)
STEP = "monitoring-install"


def build(config: StackConfig) -> None:
    main, installed = running_coolify(config)
    data = data_services(config, main, installed)
    args = MonitoringArgs(
        settings=config.monitoring,
        webhook_url=config.monitoring_webhook_url,
        heartbeat_url=config.monitoring_heartbeat_url,
        server=main.access,
        naming=naming(config),
        dashboard_hostname=f"coolify.{config.domain}" if config.domain else None,
        containers=main_server_containers(data),
        backups_enabled=config.backups.enabled,
        peers={},
        after=[installed.ready],
    )
    Monitoring("monitoring", args)


record = functools.partial(record_components, build)


@functools.cache
def recorded(stack: str) -> RecordedStack:
    return record(stack)


def settings_of(step: RecordedResource) -> str:
    """The settings file as the step's command line carries it."""
    return str(reveal(step.inputs)["create"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_defaults_watch_coolify_the_data_containers_backups_and_the_dashboard(stack: str) -> None:
    step = recorded(stack).named(STEP)
    create = settings_of(step)
    for line in ('MONITOR_CPU_PERCENT="80"', 'MONITOR_MEMORY_PERCENT="90"', 'MONITOR_DISK_PERCENT="85"',
                 'MONITOR_BACKUP_MAX_AGE_HOURS="26"', 'MONITOR_CERTIFICATE_MIN_DAYS="14"', 'MONITOR_FORMAT="json"',
                 'MONITOR_BACKUP_STAMP="/var/lib/hetzner-coolify/backup-succeeded"',
                 f'MONITOR_STACK="hetzner-coolify-{stack}"',
                 f'MONITOR_CONTAINERS="{" ".join(COOLIFY_CONTAINERS)} app-postgres app-redis"'):  # fmt: skip
        assert line in create, line
    assert "MONITOR_DASHBOARD_HOSTNAME=" in create
    assert "OnUnitActiveSec=5min" in create
    assert "hetzner-coolify-monitor" in create and "LoadCredential=monitor:" in create
    assert recorded(stack).named("coolify-direct-ports").urn in step.dependencies


def test_thresholds_interval_and_format_come_from_config() -> None:
    changes = {"monitoring": {"intervalMinutes": 15, "webhookFormat": "ntfy",
                              "thresholds": {"cpuPercent": 70, "memoryPercent": 95, "diskPercent": 75,
                                             "backupMaxAgeHours": 50, "certificateMinDays": 20}}}  # fmt: skip
    create = settings_of(record("staging", changes).named(STEP))
    for line in ('MONITOR_CPU_PERCENT="70"', 'MONITOR_MEMORY_PERCENT="95"', 'MONITOR_DISK_PERCENT="75"',
                 'MONITOR_BACKUP_MAX_AGE_HOURS="50"', 'MONITOR_CERTIFICATE_MIN_DAYS="20"', 'MONITOR_FORMAT="ntfy"',
                 "OnUnitActiveSec=15min"):  # fmt: skip
        assert line in create, line


def test_the_urls_travel_as_secret_ssh_environment_only() -> None:
    step = record("staging", URLS, secret_keys=URL_KEYS).named(STEP)
    environment = step.inputs["environment"]
    assert isinstance(environment, Secret)
    assert environment.value == {"MONITOR_WEBHOOK_URL": WEBHOOK, "MONITOR_HEARTBEAT_URL": HEARTBEAT}
    assert "environment" in step.additional_secret_outputs
    visible = {name: value for name, value in step.inputs.items() if name != "environment"}
    for url in URLS.values():
        assert url not in str(reveal(visible)), "a URL is in the step's visible inputs"


def test_one_url_alone_sends_that_one_and_no_url_sends_no_environment() -> None:
    step = record("staging", {"monitoringHeartbeatUrl": HEARTBEAT}, secret_keys=URL_KEYS).named(STEP)
    assert reveal(step.inputs["environment"]) == {"MONITOR_HEARTBEAT_URL": HEARTBEAT}
    assert not recorded("staging").named(STEP).inputs.get("environment")


def test_without_postgres_redis_and_backups_those_checks_are_off() -> None:
    changes = {"postgres": {"enabled": False}, "redis": {"enabled": False}, "backups": {"enabled": False}}
    create = settings_of(record("staging", changes).named(STEP))
    assert f'MONITOR_CONTAINERS="{" ".join(COOLIFY_CONTAINERS)}"' in create
    assert 'MONITOR_BACKUP_STAMP=""' in create


def test_the_program_installs_the_monitor_after_the_backup_job_and_exports_no_url() -> None:
    program = record_program("staging", URLS, secret_keys=URL_KEYS)
    step = program.named(STEP)
    assert program.named("backups-install-job").urn in step.dependencies
    assert isinstance(step.inputs["environment"], Secret)
    for url in URLS.values():
        assert url not in str(reveal(program.outputs))
    assert [resource.name for resource in program.resources if resource.name == STEP] == [STEP]


def test_a_disabled_monitor_installs_nothing() -> None:
    program = record_program("staging", {"monitoring": {"enabled": False}})
    assert not [resource for resource in program.resources if resource.name.startswith("monitoring")]


def test_each_worker_gets_a_monitor_of_its_own_and_the_main_server_watches_that_it_answers() -> None:
    program = record_program("production", {"workers": {"count": 2}, **URLS}, secret_keys=URL_KEYS)
    main = settings_of(program.named(STEP))
    assert 'MONITOR_PEERS="worker-1=10.0.1.10 worker-2=10.0.1.11"' in main
    # Its first pass pings workers that are up: after their hardening.
    for index in (1, 2):
        assert program.named(f"workers-{index}-harden-host").urn in program.named(STEP).dependencies
    for index in (1, 2):
        step = program.named(f"monitoring-worker-{index}-install")
        hardening = program.named(f"workers-{index}-harden-host")
        # Its own server, reached as its hardening reached it and once that is done; alerts to the same webhook.
        assert reveal(step.inputs["connection"]) == reveal(hardening.inputs["connection"])
        assert reveal(step.inputs["connection"])["host"] != reveal(program.named(STEP).inputs["connection"])["host"]
        assert hardening.urn in step.dependencies
        create = settings_of(step)
        for line in ('MONITOR_CONTAINERS=""', 'MONITOR_PEERS=""', 'MONITOR_BACKUP_STAMP=""',
                     'MONITOR_DASHBOARD_HOSTNAME=""', 'MONITOR_DISK_PERCENT="85"'):  # fmt: skip
            assert line in create, line
        # No heartbeat: a dead worker is the main server's alert.
        assert reveal(step.inputs["environment"]) == {"MONITOR_WEBHOOK_URL": WEBHOOK}


def test_without_workers_the_main_server_watches_no_peer() -> None:
    assert 'MONITOR_PEERS=""' in settings_of(recorded("production").named(STEP))
