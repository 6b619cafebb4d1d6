"""Worker servers for Coolify's apps, on a private network, behind a Hetzner load balancer.

Children: a `Network` with one cloud `NetworkSubnet`, the main server's `ServerNetwork`; spread
`PlacementGroup`s (Hetzner spreads at most 10 servers per group); one cloud firewall for all workers
(SSH from admins and the main server, HTTP(S) from the load balancer); per worker a managed `Server`
(waited for and hardened like the main server) and a step that authorizes Coolify's root key (read
from the main server) so that Coolify can manage the worker; with a Coolify API token, a step on the
main server registers each worker with Coolify. A `LoadBalancer` on the network, with the workers'
private addresses as targets and services for 80 and 443 with /health checks.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_hcloud as hcloud
from pydantic import SecretStr

from components.firewall_rules import worker_rules
from components.host import Host
from components.naming import Naming
from components.remote_steps import remote_step
from components.server import CloudFirewall, ManagedServer, PublicAddresses, cloud_firewall, managed_server
from stack_config import catalog
from stack_config.workers import WorkerSettings

NETWORK_RANGE = "10.0.0.0/16"
SUBNET_RANGE = "10.0.1.0/24"
MAIN_SERVER_IP = "10.0.1.2"
LOAD_BALANCER_IP = "10.0.1.254"
FIRST_WORKER_HOST = 10
SPREAD_GROUP_SIZE = 10
HEALTH_PATH = "/health"


def worker_ip(index: int) -> str:
    return str(ipaddress.ip_network(SUBNET_RANGE)[FIRST_WORKER_HOST + index])


@dataclass(frozen=True)
class WorkersArgs:
    settings: WorkerSettings
    host: Host
    """The main server, Coolify's: the workers are made like it (location, image, protection), share its keys
    and logins, and Coolify reaches them from it."""
    admin_cidrs: Sequence[str]
    coolify_api_token: SecretStr | None
    """Registers the workers with Coolify; without it, `registration_steps` says what to do by hand."""
    health_check_host: str
    """An app name every worker's proxy routes, whose app answers /health."""
    naming: Naming
    after: Sequence[pulumi.Resource]
    """What must run before Coolify's key is read (a running Coolify)."""


class Workers(pulumi.ComponentResource):
    servers: list[ManagedServer]
    """The workers, hardened, in the order of their private addresses."""
    private_ips: list[str]
    load_balancer_ipv4: pulumi.Output[str]
    load_balancer_ipv6: pulumi.Output[str]
    app_addresses: PublicAddresses | None
    """Where the app names point: the load balancer, unless configured to leave DNS on the main server."""
    registration_steps: pulumi.Output[str] | None
    """What to do in Coolify by hand when no API token is configured."""

    def __init__(self, name: str, args: WorkersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:workers:Workers", name, None, opts)
        self._name = name
        self._args = args
        self._prefix = args.naming.prefix
        labels = args.naming.labels
        main = args.host
        network, subnet = self._network()
        balancer, attached = self._load_balancer(subnet)
        firewall = self._firewall(balancer)
        groups = self._placement_groups()
        coolify_key = remote_step(
            f"{name}-coolify-key", main.access, "read-coolify-key.sh", {}, parent=self, after=args.after
        ).stdout
        self.private_ips = [worker_ip(index) for index in range(args.settings.count)]
        self.servers = []
        for index in range(args.settings.count):
            worker = managed_server(
                f"{name}-{index + 1}",
                replace(
                    main.spec,
                    name=self._worker_name(index),
                    server_type=args.settings.type,
                    # Workers hold no data of their own: apps keep theirs in the main server's services.
                    backups=False,
                    labels={**labels, "role": "worker"},
                ),
                parent=self,
                ssh_key_ids=main.ssh_key_ids,
                firewall=firewall,
                logins=main.logins,
                private_key=main.access.private_key,
                previous_private_key=main.access.previous_private_key,
                step_prefix=f"{name}-{index + 1}",
                # No alias addresses, said outright: omitted, they detach and attach the network on every run
                # (hetznercloud/terraform-provider-hcloud@v1.68.0:docs/resources/server.md:196-198).
                networks=[
                    hcloud.ServerNetworkArgs(network_id=network.id.apply(int), ip=self.private_ips[index], alias_ips=[])
                ],
                placement_group_id=groups[index // SPREAD_GROUP_SIZE].id.apply(int),
                # A server joins the network at creation: its subnet must exist by then.
                after=[subnet],
                # Coolify manages workers from the main server, over the private network.
                trusted_sources=[MAIN_SERVER_IP],
            )
            self.servers.append(worker)
            hcloud.LoadBalancerTarget(
                f"{name}-{index + 1}-target",
                type="server",
                load_balancer_id=balancer.id.apply(int),
                server_id=worker.server.id.apply(int),
                use_private_ip=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[attached, subnet]),
            )
            authorized = remote_step(
                f"{name}-{index + 1}-authorize-coolify",
                worker.access,
                "authorize-key.sh",
                coolify_key.apply(lambda key: {"AUTHORIZED_KEY": key.strip()}),
                parent=self,
                after=[worker.hardened],
            )
            self._register(index, after=authorized)

        self.load_balancer_ipv4 = balancer.ipv4
        self.load_balancer_ipv6 = balancer.ipv6
        self.app_addresses = PublicAddresses(balancer.ipv4, balancer.ipv6) if args.settings.load_balancer.dns else None
        self.registration_steps = None if args.coolify_api_token else pulumi.Output.from_input(self._manual_steps())
        self.register_outputs({"privateIps": self.private_ips, "loadBalancerIpv4": self.load_balancer_ipv4})

    def _network(self) -> tuple[hcloud.Network, hcloud.NetworkSubnet]:
        """The private network with one subnet in the main server's network zone, and the main server on it."""
        child = pulumi.ResourceOptions(parent=self)
        network = hcloud.Network(
            f"{self._name}-network",
            name=self._prefix,
            ip_range=NETWORK_RANGE,
            labels=dict(self._args.naming.labels),
            opts=child,
        )
        subnet = hcloud.NetworkSubnet(
            f"{self._name}-subnet",
            network_id=network.id.apply(int),
            type="cloud",
            network_zone=catalog.LOCATIONS[self._args.host.spec.location].network_zone,
            ip_range=SUBNET_RANGE,
            opts=child,
        )
        hcloud.ServerNetwork(
            f"{self._name}-main-server-network",
            server_id=pulumi.Output.from_input(self._args.host.server_id).apply(int),
            subnet_id=subnet.id,
            ip=MAIN_SERVER_IP,
            opts=child,
        )
        return network, subnet

    def _firewall(self, balancer: hcloud.LoadBalancer) -> CloudFirewall:
        main = self._args.host
        return cloud_firewall(
            f"{self._name}-firewall",
            physical_name=f"{self._prefix}-workers",
            rules=worker_rules(
                self._args.admin_cidrs,
                [pulumi.Output.concat(main.ipv4_address, "/32"), main.ipv6_network],
                [
                    balancer.ipv4.apply(lambda address: f"{address}/32"),
                    balancer.ipv6.apply(lambda address: f"{address}/128"),
                ],
            ),
            labels=self._args.naming.labels,
            parent=self,
        )

    def _placement_groups(self) -> list[hcloud.PlacementGroup]:
        count = (self._args.settings.count + SPREAD_GROUP_SIZE - 1) // SPREAD_GROUP_SIZE
        return [
            hcloud.PlacementGroup(
                f"{self._name}-spread-{group + 1}",
                name=f"{self._prefix}-workers-{group + 1}",
                type="spread",
                labels=dict(self._args.naming.labels),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for group in range(count)
        ]

    def _worker_name(self, index: int) -> str:
        return f"{self._prefix}-worker-{index + 1}"

    def _load_balancer(self, subnet: hcloud.NetworkSubnet) -> tuple[hcloud.LoadBalancer, hcloud.LoadBalancerNetwork]:
        args = self._args
        balancer = hcloud.LoadBalancer(
            f"{self._name}-load-balancer",
            name=self._prefix,
            load_balancer_type=args.settings.load_balancer.type,
            location=args.host.spec.location,
            algorithm=hcloud.LoadBalancerAlgorithmArgs(type="round_robin"),
            labels=dict(args.naming.labels),
            delete_protection=args.host.spec.delete_protection,
            opts=pulumi.ResourceOptions(parent=self),
        )
        attached = hcloud.LoadBalancerNetwork(
            f"{self._name}-load-balancer-network",
            load_balancer_id=balancer.id.apply(int),
            subnet_id=subnet.id,
            ip=LOAD_BALANCER_IP,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for port in (80, 443):
            # TCP passthrough: each worker's proxy terminates TLS with its own Let's Encrypt certificates.
            hcloud.LoadBalancerService(
                f"{self._name}-load-balancer-{port}",
                load_balancer_id=balancer.id,
                protocol="tcp",
                listen_port=port,
                destination_port=port,
                # Through each worker's proxy, which routes by name: an app that every worker runs.
                health_check=hcloud.LoadBalancerServiceHealthCheckArgs(
                    protocol="http",
                    port=80,
                    interval=15,
                    timeout=10,
                    retries=3,
                    http=hcloud.LoadBalancerServiceHealthCheckHttpArgs(
                        domain=args.health_check_host, path=HEALTH_PATH, status_codes=["2??", "3??"]
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return balancer, attached

    def _register(self, index: int, after: pulumi.Resource) -> None:
        """With an API token, register the worker with Coolify from the main server."""
        token = self._args.coolify_api_token
        if token is None:
            return
        remote_step(
            f"{self._name}-{index + 1}-register",
            self._args.host.access,
            "register-worker.sh",
            {"WORKER_NAME": self._worker_name(index), "WORKER_IP": self.private_ips[index]},
            parent=self,
            after=[after],
            secrets={"COOLIFY_API_TOKEN": pulumi.Output.secret(token.get_secret_value())},
        )

    def _manual_steps(self) -> str:
        lines = [
            'In Coolify: Servers -> + Add, once per worker, with Private Key "localhost\'s key", user root, port 22:'
        ]
        lines += [
            f"  name {self._worker_name(index)}, IP {ip}, then Validate Server & Install Docker Engine"
            for index, ip in enumerate(self.private_ips)
        ]
        return "\n".join(lines)
