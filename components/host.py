"""The Hetzner server that runs Coolify, its addresses, SSH keys and cloud firewall.

Children: one `SshKey` per admin and one for the generated deploy key (`tls.PrivateKey`, ED25519),
`PrimaryIp` v4 and v6 (kept across server replacements, so DNS never changes), the `Server`,
a `Firewall` and its `FirewallAttachment`.

The firewall is attached by label selector before the server exists, so Hetzner applies it from
the server's first boot: there is no window in which the new server is reachable unfiltered.
"""

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
class HostArgs:
    name: str
    """Name of the server and prefix of its Hetzner resources, e.g. hetzner-coolify-staging."""
    server_type: str
    location: str
    image: str
    backups: bool
    admin_ssh_keys: Mapping[str, str]
    """Owner name -> OpenSSH public key line."""
    login_user: str
    """Who admins log in as (for the SSH command output)."""
    firewall_rules: Sequence[FirewallRule]
    labels: Mapping[str, str]
    protect: bool
    """Pulumi `protect` on the server and its addresses."""
    delete_protection: bool
    """Hetzner delete and rebuild protection on the server and its addresses."""


class Host(pulumi.ComponentResource):
    server_id: pulumi.Output[str]
    ipv4_address: pulumi.Output[str]
    ipv6_address: pulumi.Output[str]
    deploy_public_key: pulumi.Output[str]
    deploy_private_key: pulumi.Output[str]
    ssh_command: pulumi.Output[str]

    def __init__(self, name: str, args: HostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:host:Host", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)

        deploy_key = tls.PrivateKey(f"{name}-deploy-key", algorithm="ED25519", opts=child)
        ssh_keys = [self._ssh_key(owner, public_key) for owner, public_key in args.admin_ssh_keys.items()]
        ssh_keys.append(self._ssh_key("deploy", deploy_key.public_key_openssh))

        firewall_labels = {**args.labels, FIREWALL_LABEL: args.name}
        firewall_attachment = self._firewall()
        ipv4 = self._primary_ip("ipv4", stateful)
        ipv6 = self._primary_ip("ipv6", stateful)
        server = hcloud.Server(
            f"{name}-server",
            name=args.name,
            server_type=args.server_type,
            location=args.location,
            image=args.image,
            ssh_keys=[key.id for key in ssh_keys],
            user_data=render_template("cloud-config.yaml", {"hostname": args.name}),
            public_nets=[
                hcloud.ServerPublicNetArgs(
                    ipv4_enabled=True, ipv4=ipv4.id.apply(int), ipv6_enabled=True, ipv6=ipv6.id.apply(int)
                )
            ],
            backups=args.backups,
            delete_protection=args.delete_protection,
            rebuild_protection=args.delete_protection,
            shutdown_before_deletion=True,
            labels=firewall_labels,
            opts=pulumi.ResourceOptions.merge(
                stateful,
                pulumi.ResourceOptions(ignore_changes=SERVER_IGNORED_CHANGES, depends_on=[firewall_attachment]),
            ),
        )

        self.server_id = server.id
        self.ipv4_address = ipv4.ip_address
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
            name=f"{self._args.name}-{owner}",
            public_key=public_key,
            labels=dict(self._args.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _primary_ip(self, ip_type: str, opts: pulumi.ResourceOptions) -> hcloud.PrimaryIp:
        return hcloud.PrimaryIp(
            f"{self._name}-{ip_type}",
            name=f"{self._args.name}-{ip_type}",
            type=ip_type,
            location=self._args.location,
            assignee_type="server",
            # The address outlives the server: a replaced server gets the same address back.
            auto_delete=False,
            delete_protection=self._args.delete_protection,
            labels=dict(self._args.labels),
            opts=opts,
        )

    def _firewall(self) -> hcloud.FirewallAttachment:
        firewall = hcloud.Firewall(
            f"{self._name}-firewall",
            name=self._args.name,
            rules=[
                hcloud.FirewallRuleArgs(
                    direction="in",
                    protocol=rule.protocol,
                    port=rule.port,
                    source_ips=list(rule.source_ips),
                    description=rule.description,
                )
                for rule in self._args.firewall_rules
            ],
            labels=dict(self._args.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return hcloud.FirewallAttachment(
            f"{self._name}-firewall-attachment",
            firewall_id=firewall.id.apply(int),
            label_selectors=[f"{FIREWALL_LABEL}={self._args.name}"],
            opts=pulumi.ResourceOptions(parent=self),
        )
