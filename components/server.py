"""A managed Hetzner server, main or worker: created behind its firewall, protected as configured, then hardened.

`managed_server` creates, under the component that owns it, a `Server` with minimal cloud-init whose
changes that would replace it are ignored, behind its cloud firewall, and its first steps over SSH: wait
until it answers (recording its host key, which every later step pins), then harden it (sshd keys only,
fail2ban, unattended upgrades, a sudo admin user, root's keys kept to the admin keys and the deploy key, with
the deploy key before the last rotation until the next one).
`cloud_firewall` makes that firewall.

A server gets its firewall two ways. The create request names it (`firewall_ids`): only that filters the
server from its first boot (hetznercloud/terraform-provider-hcloud@v1.68.0:docs/resources/
firewall_attachment.md:59-66). And a `FirewallAttachment` applies it to every server labelled
`firewall=<name>`, which is how servers created before firewall_ids have it. That second way stays: a
deployed server cannot move from the label to firewall_ids without a window. The provider reads firewall_ids
from every firewall applied to the server, by label too (internal/server/resource.go:1240-1257; the API
refuses to remove those: hetznercloud/hcloud-go@v2.47.0:hcloud/error.go:87), so an update finds the firewall
there and applies nothing (resource.go:645-700), while removing the label or the attachment would drop it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from components.firewall_rules import FirewallRule
from components.remote_steps import ServerAccess, remote_step, wait_for_ssh
from components.server_scripts import template_text
from components.templates import render_template

# Changing any of these would replace the server and wipe its disk; they only matter at creation.
SERVER_IGNORED_CHANGES = ["user_data", "ssh_keys", "image"]
# Servers carrying this label (value: the firewall's name) get that firewall through its attachment.
FIREWALL_LABEL = "firewall"


@dataclass(frozen=True)
class ServerSpec:
    """What a server is made of and how it is guarded."""

    name: str
    server_type: str
    location: str
    image: str
    backups: bool
    labels: Mapping[str, str]
    protect: bool
    delete_protection: bool


@dataclass(frozen=True)
class CloudFirewall:
    """A Hetzner Cloud Firewall and its attachment to the servers carrying `label`."""

    firewall: hcloud.Firewall
    attachment: hcloud.FirewallAttachment
    label: Mapping[str, str]


@dataclass(frozen=True)
class PublicAddresses:
    ipv4: pulumi.Input[str]
    ipv6: pulumi.Input[str]


@dataclass(frozen=True)
class Logins:
    """Who may log in to a hardened server: the admin user with the admin keys; root with those and the deploy key
    (and the one before it, after a rotation)."""

    admin_user: str
    admin_public_keys: Sequence[str]
    deploy_public_key: pulumi.Input[str]
    previous_deploy_public_key: pulumi.Input[str] | None = None
    """Kept until the next rotation: the `pulumi up` that rotates and a docker.sshIdentityFile not yet updated
    still log in with it."""


@dataclass(frozen=True)
class EarlierSteps:
    """The component a server's first steps belonged to before they moved, which named them after itself.

    Aliases to those URNs keep the steps of a deployed stack: they neither run again nor get replaced.
    """

    component_type: str
    component_name: str

    def alias(self, step: str) -> pulumi.Alias:
        parent = pulumi.create_urn(self.component_name, self.component_type)
        return pulumi.Alias(name=f"{self.component_name}-{step}", parent=parent)


@dataclass(frozen=True)
class ManagedServer:
    server: hcloud.Server
    access: ServerAccess
    host_key: pulumi.Output[str]
    """`ssh-ed25519 <key>`, recorded at first contact; every connection to the server pins it."""
    hardened: pulumi.Resource
    """The hardening step: what runs on the server next waits for it."""


def harden_inputs(
    admin_user: str,
    admin_public_keys: Sequence[str],
    deploy_public_key: str,
    trusted_sources: Sequence[str],
    previous_deploy_public_key: str | None = None,
) -> dict[str, str]:
    """`trusted_sources`: networks fail2ban never bans, those Coolify reaches the server from.
    `previous_deploy_public_key`: the deploy key before the last rotation, kept for root until the next one."""
    deploy_public_keys = [deploy_public_key, *([previous_deploy_public_key] if previous_deploy_public_key else [])]
    return {
        "ADMIN_USER": admin_user,
        "ADMIN_KEYS": "".join(f"{key}\n" for key in admin_public_keys),
        # Type and material only: a comment could hold "coolify", and Coolify's installer deletes such lines.
        "ROOT_KEYS": "".join(f"{' '.join(key.split()[:2])}\n" for key in [*admin_public_keys, *deploy_public_keys]),
        "SSHD_CONFIG": template_text("sshd-hardening.conf"),
        "FAIL2BAN_JAIL": render_template("fail2ban-sshd.local", {"ignoreip": " ".join(trusted_sources)}),
        "AUTO_UPGRADES": template_text("20auto-upgrades"),
    }


def managed_server(
    name: str,
    spec: ServerSpec,
    *,
    parent: pulumi.Resource,
    ssh_key_ids: Sequence[pulumi.Input[str]],
    firewall: CloudFirewall,
    logins: Logins,
    private_key: pulumi.Input[str],
    previous_private_key: pulumi.Input[str] | None = None,
    step_prefix: str,
    address: pulumi.Input[str] | None = None,
    public_nets: Sequence[hcloud.ServerPublicNetArgs] | None = None,
    networks: Sequence[hcloud.ServerNetworkArgs] | None = None,
    placement_group_id: pulumi.Input[int] | None = None,
    after: Sequence[pulumi.Resource] = (),
    earlier_steps: EarlierSteps | None = None,
    trusted_sources: Sequence[str] = (),
) -> ManagedServer:
    """The server `name` behind `firewall`, then the steps `<step_prefix>-wait-for-ssh` and
    `<step_prefix>-harden-host` on it, reached at `address` (default: its own IPv4)."""
    server = hcloud.Server(
        name,
        name=spec.name,
        server_type=spec.server_type,
        location=spec.location,
        image=spec.image,
        ssh_keys=list(ssh_key_ids),
        user_data=render_template("cloud-config.yaml", {"hostname": spec.name}),
        public_nets=public_nets or [hcloud.ServerPublicNetArgs(ipv4_enabled=True, ipv6_enabled=True)],
        networks=networks,
        placement_group_id=placement_group_id,
        # In the create request, so that the firewall filters the server from its first boot
        # (hetznercloud/terraform-provider-hcloud@v1.68.0:internal/server/resource.go:395-399).
        firewall_ids=[firewall.firewall.id.apply(int)],
        backups=spec.backups,
        delete_protection=spec.delete_protection,
        rebuild_protection=spec.delete_protection,
        shutdown_before_deletion=True,
        labels={**spec.labels, **firewall.label},
        opts=pulumi.ResourceOptions(
            parent=parent,
            protect=spec.protect,
            ignore_changes=SERVER_IGNORED_CHANGES,
            depends_on=[firewall.attachment, *after],
        ),
    )
    first_contact = ServerAccess(
        server.id, address if address is not None else server.ipv4_address, private_key, previous_private_key
    )

    def aliases(step: str) -> list[pulumi.Alias]:
        return [earlier_steps.alias(step)] if earlier_steps else []

    reachable = wait_for_ssh(
        f"{step_prefix}-wait-for-ssh", first_contact, parent=parent, aliases=aliases("wait-for-ssh")
    )
    access = first_contact.pinned(reachable.stdout)
    inputs = pulumi.Output.all(logins.deploy_public_key, logins.previous_deploy_public_key).apply(
        lambda deploy_keys: harden_inputs(
            logins.admin_user, logins.admin_public_keys, deploy_keys[0], trusted_sources, deploy_keys[1]
        )
    )
    hardened = remote_step(
        f"{step_prefix}-harden-host",
        access,
        "harden-host.sh",
        inputs,
        parent=parent,
        after=[reachable],
        aliases=aliases("harden-host"),
    )
    return ManagedServer(server, access, reachable.stdout, hardened)


def cloud_firewall(
    name: str, *, physical_name: str, rules: Sequence[FirewallRule], labels: Mapping[str, str], parent: pulumi.Resource
) -> CloudFirewall:
    """The Hetzner Cloud Firewall of `rules` (everything inbound they do not list is dropped), attached to every
    server labelled `firewall=<physical_name>`."""
    firewall = hcloud.Firewall(
        name,
        name=physical_name,
        rules=[
            hcloud.FirewallRuleArgs(
                direction="in",
                protocol=rule.protocol,
                port=rule.port,
                source_ips=list(rule.source_ips),
                description=rule.description,
            )
            for rule in rules
        ],
        labels=dict(labels),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attachment = hcloud.FirewallAttachment(
        f"{name}-attachment",
        firewall_id=firewall.id.apply(int),
        label_selectors=[f"{FIREWALL_LABEL}={physical_name}"],
        # A refresh reads every server the firewall is applied to, those of firewall_ids too; without this, the
        # next update would remove them (internal/firewall/attachment_resource.go:111-150, 244-260).
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["server_ids"]),
    )
    return CloudFirewall(firewall, attachment, {FIREWALL_LABEL: physical_name})
