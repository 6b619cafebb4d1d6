"""The `monitoring` section and the monitor's two secret URLs."""

from typing import Any

import pytest

from tests.conftest import NAMESPACE
from tests.stack_config.conftest import bad_values, load, problems

WEBHOOK = f"{NAMESPACE}:monitoringWebhookUrl"
HEARTBEAT = f"{NAMESPACE}:monitoringHeartbeatUrl"
SECRET_URLS = frozenset({WEBHOOK, HEARTBEAT})

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("staging", {"monitoring": {"thresholds": {"diskPercent": 0}}},
     "hetzner-coolify:monitoring.thresholds.diskPercent: 0 is out of range; allowed: 1-100 (alert when a file "
     "system (root, the Postgres volume) is fuller than this)"),
    ("staging", {"monitoring": {"thresholds": {"cpuPercent": 101}}},
     "hetzner-coolify:monitoring.thresholds.cpuPercent: 101 is out of range; allowed: 1-100 (alert when the "
     "CPUs were busier than this, on average since the last check)"),
    ("staging", {"monitoring": {"intervalMinutes": 0}},
     "hetzner-coolify:monitoring.intervalMinutes: 0 is out of range; allowed: 1-60 (how often the monitor "
     "checks)"),
    ("staging", {"monitoring": {"webhookFormat": "teams"}},
     "hetzner-coolify:monitoring.webhookFormat: 'teams' is not one of the choices; allowed: json, slack, ntfy"),
    ("staging", {"monitoringWebhookUrl": "https://ntfy.sh/acme-alerts"},
     "hetzner-coolify:monitoringWebhookUrl: must be set with `pulumi config set --secret`, not in clear in the "
     "stack file"),
    ("production", {"monitoringHeartbeatUrl": "https://hc-ping.com/5b1a8e1c"},
     "hetzner-coolify:monitoringHeartbeatUrl: must be set with `pulumi config set --secret`, not in clear in the "
     "stack file"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


def test_the_defaults_are_the_guides_thresholds() -> None:
    settings = load("production").monitoring
    assert settings.enabled
    thresholds = settings.thresholds
    assert (thresholds.cpu_percent, thresholds.memory_percent, thresholds.disk_percent) == (80, 90, 85)


@pytest.mark.parametrize(
    "url",
    ["http://ntfy.sh/acme-alerts", "ntfy.sh/acme-alerts", "https://hooks.slack.com/services/T0 B0/x", "https://"],
    ids=["http", "no-scheme", "space", "no-host"],
)
def test_a_secret_url_that_is_not_https_is_refused_without_quoting_it(url: str) -> None:
    lines = problems("staging", {"monitoringWebhookUrl": url, "monitoringHeartbeatUrl": url}, SECRET_URLS)
    expected = "is not an https URL; allowed: https://host[:port][/path], at most 2048 characters"
    assert lines == [f"{WEBHOOK}: {expected}", f"{HEARTBEAT}: {expected}"]


def test_secret_urls_load_as_secrets() -> None:
    urls = {
        "monitoringWebhookUrl": "https://hooks.slack.com/services/T0/B0/x",
        "monitoringHeartbeatUrl": "https://hc-ping.com/5b1a",
    }
    config = load("production", urls, SECRET_URLS)
    assert config.monitoring_webhook_url is not None
    assert config.monitoring_webhook_url.get_secret_value() == urls["monitoringWebhookUrl"]
    assert "hooks.slack.com" not in repr(config)
