"""The `monitoring` section: what the server's monitor checks, when it alerts, and how it speaks to the webhook
(components/monitoring.py). The webhook's and the heartbeat's URLs are secrets, set as top-level keys
(`monitoringWebhookUrl`, `monitoringHeartbeatUrl`): such a URL is the only credential a sender needs."""

from typing import Literal

from pydantic import Field

from stack_config.base import ConfigModel

WEBHOOK_FORMATS = ("json", "slack", "ntfy")


class MonitoringThresholds(ConfigModel):
    # Defaults from the teams' own deployment guides: CPU above 80 %, RAM above 90 %, disk above 85 %.
    cpu_percent: int = Field(
        default=80,
        ge=1,
        le=100,
        description="Alert when the CPUs were busier than this, on average since the last check.",
    )
    memory_percent: int = Field(
        default=90, ge=1, le=100, description="Alert when more than this share of memory is in use (not available)."
    )
    disk_percent: int = Field(
        default=85,
        ge=1,
        le=100,
        description="Alert when a file system (root, the Postgres volume) is fuller than this.",
    )
    backup_max_age_hours: int = Field(
        default=26,
        ge=1,
        le=24 * 31,
        description="Alert when the newest successful backup is older than this (a nightly schedule plus slack).",
    )
    # Traefik, Coolify's proxy, renews its 90-day certificates 30 days before they expire
    # (https://doc.traefik.io/traefik/https/acme/#certificatesduration).
    certificate_min_days: int = Field(
        default=14,
        ge=1,
        le=29,
        description="Alert when the dashboard's TLS certificate expires within this many days; below 30, when "
        "Coolify's proxy renews a Let's Encrypt certificate, or every renewal would alert.",
    )


class MonitoringSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Run the monitor on every server of the stack.")
    interval_minutes: int = Field(default=5, ge=1, le=60, description="How often the monitor checks.")
    thresholds: MonitoringThresholds = Field(default=MonitoringThresholds(), description="When a check alerts.")
    webhook_format: Literal["json", "slack", "ntfy"] = Field(
        default="json",
        description="Body of an alert: json (generic), slack (Slack, Mattermost, Discord's /slack endpoint), "
        "ntfy (a ntfy topic URL; the message as text).",
    )
