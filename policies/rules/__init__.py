"""The rules of the policy pack, one per module; this list is the pack."""

from pulumi_policy import Policy

from . import (
    container_published_data_ports,
    data_volumes,
    default_secrets,
    dns_private_addresses,
    docker_provider_transport,
    firewall_broad_data_port_sources,
    firewall_public_admin_ports,
    firewall_public_data_ports,
    pinned_images,
    postgres_backups,
    protection,
    redis_password,
    secrets_in_state,
    server_firewall,
)

PACK_NAME = "hetzner-coolify-guardrails"

ALL_POLICIES: list[Policy] = [
    firewall_public_data_ports.POLICY,
    firewall_broad_data_port_sources.POLICY,
    firewall_public_admin_ports.POLICY,
    server_firewall.POLICY,
    container_published_data_ports.POLICY,
    default_secrets.POLICY,
    secrets_in_state.POLICY,
    pinned_images.POLICY,
    protection.POLICY,
    postgres_backups.POLICY,
    dns_private_addresses.POLICY,
    docker_provider_transport.POLICY,
    redis_password.POLICY,
    data_volumes.POLICY,
]
