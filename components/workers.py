"""Worker servers for Coolify's apps, on a private network, behind a Hetzner load balancer.

Children: a `Network` with one cloud `NetworkSubnet`, the main server's `ServerNetwork`; spread
`PlacementGroup`s (Hetzner spreads at most 10 servers per group); one cloud firewall for all workers
(SSH from admins and the Coolify host, HTTP(S) from the load balancer); per worker a `Server`, the
wait-for-ssh and hardening steps of the main server, and a step that authorizes Coolify's root key
(read from the main server) so that Coolify can manage the worker; with a Coolify API token, a step
on the main server registers each worker with Coolify. A `LoadBalancer` on the network, with the
workers' private addresses as targets and services for 80 and 443 with /health checks.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_hcloud as hcloud

from components.bootstrap import Logins, Target, remote_step, wait_and_harden
from components.firewall_rules import worker_rules
from components.host import FIREWALL_LABEL, ServerSpec, label_firewall, managed_server

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
    count: int
    spec: ServerSpec
    """The workers' server settings; `spec.name` prefixes their names (<name>-worker-<n>)."""
    network_zone: str
    ssh_key_ids: Sequence[pulumi.Input[str]]
    private_key: pulumi.Input[str]
    logins: Logins
    admin_cidrs: Sequence[str]
    main_server_id: pulumi.Input[str]
    main_ipv4: pulumi.Input[str]
    main_ipv6_network: pulumi.Input[str]
    coolify_ready: pulumi.Resource
    coolify_api_token: pulumi.Input[str] | None
    load_balancer_type: str
    health_check_host: str
    """An app name every worker's proxy routes, whose app answers /health."""


class Workers(pulumi.ComponentResource):
    private_ips: list[str]
    load_balancer_ipv4: pulumi.Output[str]
    load_balancer_ipv6: pulumi.Output[str]
    registration_steps: pulumi.Output[str] | None
    """What to do in Coolify by hand when no API token is configured."""

    def __init__(self, name: str, args: WorkersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:workers:Workers", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        network = hcloud.Network(
            f"{name}-network", name=args.spec.name, ip_range=NETWORK_RANGE, labels=dict(args.spec.labels), opts=child
        )
        subnet = hcloud.NetworkSubnet(
            f"{name}-subnet",
            network_id=network.id.apply(int),
            type="cloud",
            network_zone=args.network_zone,
            ip_range=SUBNET_RANGE,
            opts=child,
        )
        hcloud.ServerNetwork(
            f"{name}-main-server-network",
            server_id=pulumi.Output.from_input(args.main_server_id).apply(int),
            subnet_id=subnet.id,
            ip=MAIN_SERVER_IP,
            opts=child,
        )
        balancer, attached = self._load_balancer(subnet)
        firewall = label_firewall(
            f"{name}-firewall",
            name=f"{args.spec.name}-workers",
            rules=worker_rules(
                args.admin_cidrs,
                [pulumi.Output.concat(args.main_ipv4, "/32"), args.main_ipv6_network],
                [
                    balancer.ipv4.apply(lambda address: f"{address}/32"),
                    balancer.ipv6.apply(lambda address: f"{address}/128"),
                ],
            ),
            labels=args.spec.labels,
            parent=self,
        )
        groups = [
            hcloud.PlacementGroup(
                f"{name}-spread-{group + 1}",
                name=f"{args.spec.name}-workers-{group + 1}",
                type="spread",
                labels=dict(args.spec.labels),
                opts=child,
            )
            for group in range((args.count + SPREAD_GROUP_SIZE - 1) // SPREAD_GROUP_SIZE)
        ]
        self._main_server = Target(self, args.main_server_id, args.main_ipv4, args.private_key)
        coolify_key = remote_step(
            f"{name}-coolify-key",
            self._main_server,
            "read-coolify-key.sh",
            {},
            after=[args.coolify_ready],
        ).stdout
        self.private_ips = [worker_ip(index) for index in range(args.count)]
        for index in range(args.count):
            server = managed_server(
                f"{name}-{index + 1}",
                replace(
                    args.spec,
                    name=f"{args.spec.name}-worker-{index + 1}",
                    labels={**args.spec.labels, "role": "worker", FIREWALL_LABEL: f"{args.spec.name}-workers"},
                ),
                ssh_key_ids=args.ssh_key_ids,
                firewall=firewall,
                parent=self,
                networks=[hcloud.ServerNetworkArgs(network_id=network.id.apply(int), ip=self.private_ips[index])],
                placement_group_id=groups[index // SPREAD_GROUP_SIZE].id.apply(int),
                # A server joins the network at creation: its subnet must exist by then.
                after=[subnet],
            )
            hcloud.LoadBalancerTarget(
                f"{name}-{index + 1}-target",
                type="server",
                load_balancer_id=balancer.id.apply(int),
                server_id=server.id.apply(int),
                use_private_ip=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[attached, subnet]),
            )
            self._prepare(index, server, coolify_key)

        self.load_balancer_ipv4 = balancer.ipv4
        self.load_balancer_ipv6 = balancer.ipv6
        self.registration_steps = None if args.coolify_api_token else pulumi.Output.from_input(self._manual_steps())
        self.register_outputs({"privateIps": self.private_ips, "loadBalancerIpv4": self.load_balancer_ipv4})

    def _load_balancer(self, subnet: hcloud.NetworkSubnet) -> tuple[hcloud.LoadBalancer, hcloud.LoadBalancerNetwork]:
        args = self._args
        balancer = hcloud.LoadBalancer(
            f"{self._name}-load-balancer",
            name=args.spec.name,
            load_balancer_type=args.load_balancer_type,
            location=args.spec.location,
            algorithm=hcloud.LoadBalancerAlgorithmArgs(type="round_robin"),
            labels=dict(args.spec.labels),
            delete_protection=args.spec.delete_protection,
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

    def _prepare(self, index: int, server: hcloud.Server, coolify_key: pulumi.Output[str]) -> None:
        """Harden the worker like the main server, let Coolify in as root, and register it with Coolify."""
        args = self._args
        worker = Target(self, server.id, server.ipv4_address, args.private_key)
        step = f"{self._name}-{index + 1}"
        hardened = wait_and_harden(step, worker, args.logins)
        authorized = remote_step(
            f"{step}-authorize-coolify",
            worker,
            "authorize-key.sh",
            coolify_key.apply(lambda key: {"AUTHORIZED_KEY": key.strip()}),
            after=[hardened],
        )
        if args.coolify_api_token is not None:
            remote_step(
                f"{step}-register",
                self._main_server,
                "register-worker.sh",
                {"WORKER_NAME": f"{args.spec.name}-worker-{index + 1}", "WORKER_IP": self.private_ips[index]},
                after=[authorized],
                secrets={"COOLIFY_API_TOKEN": args.coolify_api_token},
            )

    def _manual_steps(self) -> str:
        lines = [
            'In Coolify: Servers -> + Add, once per worker, with Private Key "localhost\'s key", user root, port 22:'
        ]
        lines += [
            f"  name {self._args.spec.name}-worker-{index + 1}, IP {ip}, then Validate Server"
            for index, ip in enumerate(self.private_ips)
        ]
        return "\n".join(lines)
