"""How long `pulumi up` of a new stack takes: the longest chain of dependent resources.

Pulumi creates every resource as soon as what it depends on exists, with no limit on parallelism
by default; so the deploy takes as long as the slowest chain of dependencies, whatever else runs
beside it. Each resource's duration comes from LATENCIES, measured or reported in public (sources
on each line); components take no time of their own.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from preview.engine import RecordedResource, RecordedStack
from preview.section import SectionReport

UNKNOWN_TYPE_SECONDS = 2.0


@dataclass(frozen=True)
class Latency:
    type: str
    name_suffix: str
    seconds: float
    why: str


# The first row whose type matches (and whose suffix ends the name, when it has one) applies.
LATENCIES = (
    Latency("hcloud:index/server:Server", "", 75, "Hetzner create_server action: 60-90 s on average"),
    Latency("hcloud:index/primaryIp:PrimaryIp", "", 2, "one API action"),
    Latency("hcloud:index/sshKey:SshKey", "", 1, "one API call"),
    Latency("hcloud:index/firewall:Firewall", "", 2, "one API action"),
    Latency("hcloud:index/firewallAttachment:FirewallAttachment", "", 3, "one API action"),
    Latency("hcloud:index/volume:Volume", "", 10, "create and format"),
    Latency("hcloud:index/volumeAttachment:VolumeAttachment", "", 15, "attach action"),
    Latency("hcloud:index/network:Network", "", 2, "one API call"),
    Latency("hcloud:index/networkSubnet:NetworkSubnet", "", 3, "one API action"),
    Latency("hcloud:index/serverNetwork:ServerNetwork", "", 10, "attach action on a running server"),
    Latency("hcloud:index/placementGroup:PlacementGroup", "", 1, "one API call"),
    Latency("hcloud:index/loadBalancer:LoadBalancer", "", 20, "create action"),
    Latency("hcloud:index/loadBalancerNetwork:LoadBalancerNetwork", "", 10, "attach action"),
    Latency("hcloud:index/loadBalancerService:LoadBalancerService", "", 5, "one API action"),
    Latency("hcloud:index/loadBalancerTarget:LoadBalancerTarget", "", 5, "one API action"),
    Latency("cloudflare:index/dnsRecord:DnsRecord", "", 2, "one API call"),
    Latency("cloudflare:index/r2Bucket:R2Bucket", "", 3, "one API call"),
    Latency("cloudflare:index/accountToken:AccountToken", "", 2, "one API call"),
    Latency("tls:index/privateKey:PrivateKey", "", 0.1, "generated locally"),
    Latency("random:index/randomPassword:RandomPassword", "", 0.1, "generated locally"),
    Latency("command:local:Command", "-wait-for-ssh", 90, "boot (about 11 s) and cloud-init's package upgrade"),
    Latency("command:remote:Command", "-harden-host", 45, "apt installs fail2ban and unattended-upgrades"),
    Latency(
        "command:remote:Command", "-install-coolify", 300, "Docker install, image pulls, upgrade step (up to 180 s)"
    ),
    Latency("command:remote:Command", "-wait-for-coolify", 20, "health check after the installer's own wait"),
    Latency("command:remote:Command", "-direct-ports", 15, "compose recreates two containers"),
    Latency("command:remote:Command", "-volume-mount", 10, "wait for the device, mount"),
    Latency("command:remote:Command", "-install-job", 40, "apt installs rclone and age"),
    Latency("command:remote:Command", "", 5, "a short script over SSH"),
    Latency("pulumi:providers:docker", "", 1, "SSH connection"),
    Latency("docker:index/remoteImage:RemoteImage", "-postgres-image", 20, "pull of about 160 MB"),
    Latency("docker:index/remoteImage:RemoteImage", "", 8, "pull of about 44 MB"),
    Latency("docker:index/volume:Volume", "", 2, "one API call"),
    Latency("docker:index/container:Container", "-postgres", 20, "start, initdb, healthcheck"),
    Latency("docker:index/container:Container", "", 8, "start and healthcheck"),
)


def latency(resource: RecordedResource) -> float:
    if not resource.custom or (
        resource.type.startswith("pulumi:providers:") and resource.type != "pulumi:providers:docker"
    ):
        return 0.0
    for row in LATENCIES:
        if row.type == resource.type and resource.name.endswith(row.name_suffix):
            return row.seconds
    return UNKNOWN_TYPE_SECONDS


@dataclass(frozen=True)
class Schedule:
    critical_path: tuple[RecordedResource, ...]
    finish: dict[str, float]
    """URN -> when the resource is done, everything starting as early as its dependencies allow."""
    serial_seconds: float
    peak_parallel: int

    @property
    def total_seconds(self) -> float:
        return max(self.finish.values(), default=0.0)


def dependencies(resource: RecordedResource, known: set[str]) -> list[str]:
    """What must exist first: declared and property dependencies, and an explicit provider."""
    provider = [resource.provider.rsplit("::", 1)[0]] if resource.provider else []
    return [urn for urn in (*resource.dependencies, *provider) if urn in known and urn != resource.urn]


def schedule(resources: Sequence[RecordedResource]) -> Schedule:
    by_urn = {resource.urn: resource for resource in resources}
    depends = {urn: dependencies(resource, set(by_urn)) for urn, resource in by_urn.items()}
    finish: dict[str, float] = {}
    before: dict[str, str | None] = {}

    def done(urn: str) -> float:
        if urn not in finish:
            start, previous = 0.0, None
            for dependency in depends[urn]:
                if done(dependency) > start:
                    start, previous = finish[dependency], dependency
            finish[urn] = start + latency(by_urn[urn])
            before[urn] = previous
        return finish[urn]

    for urn in by_urn:
        done(urn)
    last = max(finish, key=lambda urn: finish[urn], default=None)
    path: list[RecordedResource] = []
    while last is not None:
        path.append(by_urn[last])
        last = before[last]
    path = [resource for resource in reversed(path) if latency(resource) > 0]
    intervals = [(finish[urn] - latency(by_urn[urn]), finish[urn]) for urn in by_urn if latency(by_urn[urn]) > 0]
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return Schedule(tuple(path), finish, sum(end - start for start, end in intervals), peak)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


class DeployTime:
    title = "Deploy time"

    def render(self, recording: RecordedStack) -> SectionReport:
        plan = schedule(recording.resources)
        rows = [
            f"      {latency(resource):6.1f} s  {resource.name}  ({resource.type})" for resource in plan.critical_path
        ]
        off_path = sum(1 for resource in recording.resources if latency(resource) > 0) - len(plan.critical_path)
        return SectionReport(
            [
                "Deploy time of a new stack (estimate; latencies in preview/deploy_time.py):",
                f"    critical path: {len(plan.critical_path)} steps, {_duration(plan.total_seconds)}",
                *rows,
                f"    all {off_path + len(plan.critical_path)} steps one after another would take "
                f"{_duration(plan.serial_seconds)}; in parallel "
                f"{plan.serial_seconds / max(plan.total_seconds, 1):.1f}x faster, up to {plan.peak_parallel} at once; "
                f"{off_path} run beside the critical path",
            ]
        )
