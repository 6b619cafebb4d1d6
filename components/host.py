"""The Hetzner server that runs Coolify, its addresses, SSH keys and cloud firewall.

Children: one `SshKey` per admin and one for the generated deploy key (`tls.PrivateKey`, ED25519),
`PrimaryIp` v4 and v6 (kept across server replacements, so DNS never changes), the `Server`,
a `Firewall` and its `FirewallAttachment`.

The firewall is attached by label selector before the server exists, so Hetzner applies it from
the server's first boot: there is no window in which the new server is reachable unfiltered.
"""

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_hcloud as hcloud
import pulumi_tls as tls

from components.firewall_rules import FirewallRule
from components.templates import render_template

# Changing any of these would replace the server and wipe its disk; they only matter at creation.
SERVER_IGNORED_CHANGES = ["user_data", "ssh_keys", "image"]
# Servers carrying this label (value: the host's name) get the host's firewall.
FIREWALL_LABEL = "firewall"


@dataclass(frozen=True)
class ServerSpec:
    """What every server of the stack has in common, main or worker."""

    name: str
    server_type: str
    location: str
    image: str
    backups: bool
    labels: Mapping[str, str]
    protect: bool
    delete_protection: bool


def managed_server(
    resource_name: str,
    spec: ServerSpec,
    *,
    ssh_key_ids: Sequence[pulumi.Input[str]],
    firewall: hcloud.FirewallAttachment,
    parent: pulumi.Resource,
    public_nets: Sequence[hcloud.ServerPublicNetArgs] | None = None,
    networks: Sequence[hcloud.ServerNetworkArgs] | None = None,
    placement_group_id: pulumi.Input[int] | None = None,
    after: Sequence[pulumi.Resource] = (),
) -> hcloud.Server:
    """A server with minimal cloud-init, protection as configured, and changes that would replace it
    ignored; created after the firewall attachment whose label it carries."""
    return hcloud.Server(
        resource_name,
        name=spec.name,
        server_type=spec.server_type,
        location=spec.location,
        image=spec.image,
        ssh_keys=list(ssh_key_ids),
        user_data=render_template("cloud-config.yaml", {"hostname": spec.name}),
        public_nets=public_nets or [hcloud.ServerPublicNetArgs(ipv4_enabled=True, ipv6_enabled=True)],
        networks=networks,
        placement_group_id=placement_group_id,
        backups=spec.backups,
        delete_protection=spec.delete_protection,
        rebuild_protection=spec.delete_protection,
        shutdown_before_deletion=True,
        labels=dict(spec.labels),
        opts=pulumi.ResourceOptions(
            parent=parent,
            protect=spec.protect,
            ignore_changes=SERVER_IGNORED_CHANGES,
            depends_on=[firewall, *after],
        ),
    )


def label_firewall(
    resource_name: str, *, name: str, rules: Sequence[FirewallRule], labels: Mapping[str, str], parent: pulumi.Resource
) -> hcloud.FirewallAttachment:
    """A cloud firewall for every server labelled `firewall=<name>`: attached before any server exists,
    so that Hetzner applies it from a server's first boot."""
    firewall = hcloud.Firewall(
        resource_name,
        name=name,
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
    return hcloud.FirewallAttachment(
        f"{resource_name}-attachment",
        firewall_id=firewall.id.apply(int),
        label_selectors=[f"{FIREWALL_LABEL}={name}"],
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class HostArgs:
    spec: ServerSpec
    """`spec.name` names the server and prefixes its Hetzner resources, e.g. hetzner-coolify-staging."""
    admin_ssh_keys: Mapping[str, str]
    """Owner name -> OpenSSH public key line."""
    login_user: str
    """Who admins log in as (for the SSH command output)."""
    firewall_rules: Sequence[FirewallRule]


class Host(pulumi.ComponentResource):
    server_id: pulumi.Output[str]
    ssh_key_ids: list[pulumi.Output[str]]
    """Admin keys and the deploy key, for other servers of the stack (Hetzner refuses a key twice)."""
    ipv6_network: pulumi.Output[str]
    ipv4_address: pulumi.Output[str]
    ipv6_address: pulumi.Output[str]
    deploy_public_key: pulumi.Output[str]
    deploy_private_key: pulumi.Output[str]
    ssh_command: pulumi.Output[str]

    def __init__(self, name: str, args: HostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:host:Host", name, None, opts)
        self._name = name
        self._spec = args.spec
        deploy_key = tls.PrivateKey(f"{name}-deploy-key", algorithm="ED25519", opts=pulumi.ResourceOptions(parent=self))
        ssh_keys = [self._ssh_key(owner, public_key) for owner, public_key in args.admin_ssh_keys.items()]
        ssh_keys.append(self._ssh_key("deploy", deploy_key.public_key_openssh))

        firewall = label_firewall(
            f"{name}-firewall", name=args.spec.name, rules=args.firewall_rules, labels=args.spec.labels, parent=self
        )
        ipv4, ipv6 = self._primary_ip("ipv4"), self._primary_ip("ipv6")
        spec = replace(args.spec, labels={**args.spec.labels, FIREWALL_LABEL: args.spec.name})
        self.ssh_key_ids = [key.id for key in ssh_keys]
        server = managed_server(
            f"{name}-server",
            spec,
            ssh_key_ids=self.ssh_key_ids,
            firewall=firewall,
            parent=self,
            public_nets=[
                hcloud.ServerPublicNetArgs(
                    ipv4_enabled=True, ipv4=ipv4.id.apply(int), ipv6_enabled=True, ipv6=ipv6.id.apply(int)
                )
            ],
        )

        self.server_id = server.id
        self.ipv4_address = ipv4.ip_address
        self.ipv6_network = ipv6.ip_network
        # A v6 primary IP is a /64; the server answers on its first address.
        self.ipv6_address = ipv6.ip_network.apply(lambda network: str(ipaddress.ip_network(network)[1]))
        self.deploy_public_key = deploy_key.public_key_openssh
        self.deploy_private_key = pulumi.Output.secret(deploy_key.private_key_openssh)
        self.ssh_command = pulumi.Output.concat(f"ssh {args.login_user}@", self.ipv4_address)
        self.register_outputs(
            {
                "serverId": self.server_id,
                "ipv4Address": self.ipv4_address,
                "ipv6Address": self.ipv6_address,
                "sshCommand": self.ssh_command,
            }
        )

    def _ssh_key(self, owner: str, public_key: pulumi.Input[str]) -> hcloud.SshKey:
        return hcloud.SshKey(
            f"{self._name}-ssh-key-{owner}",
            name=f"{self._spec.name}-{owner}",
            public_key=public_key,
            labels=dict(self._spec.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _primary_ip(self, ip_type: str) -> hcloud.PrimaryIp:
        return hcloud.PrimaryIp(
            f"{self._name}-{ip_type}",
            name=f"{self._spec.name}-{ip_type}",
            type=ip_type,
            location=self._spec.location,
            assignee_type="server",
            # The address outlives the server: a replaced server gets the same address back.
            auto_delete=False,
            delete_protection=self._spec.delete_protection,
            labels=dict(self._spec.labels),
            opts=pulumi.ResourceOptions(parent=self, protect=self._spec.protect),
        )
