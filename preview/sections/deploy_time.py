"""How long `pulumi up` of a new stack takes: the longest chain of dependent resources.

Pulumi creates every resource as soon as what it depends on exists, with no limit on parallelism
by default; so the deploy takes as long as the slowest chain of dependencies, whatever else runs
beside it. Each resource's duration comes from the tables below, measured or reported in public
(sources on each line): by resource type; for a step over SSH by the server script it runs, which
every step must have a row for; for images and containers by what they pull and start. Components
take no time of their own.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from components import server_scripts
from preview.engine import RecordedResource, RecordedStack
from preview.sections.section import SectionReport
from preview.values import reveal
from stack_config.types import POSTGRES_IMAGE_FAMILIES

UNKNOWN_TYPE_SECONDS = 2.0
COMMAND_TYPES = ("command:local:Command", "command:remote:Command")
IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"


@dataclass(frozen=True)
class Latency:
    seconds: float
    why: str


RESOURCE_LATENCIES = {
    "hcloud:index/server:Server": Latency(75, "Hetzner create_server action: 60-90 s on average"),
    "hcloud:index/primaryIp:PrimaryIp": Latency(2, "one API action"),
    "hcloud:index/sshKey:SshKey": Latency(1, "one API call"),
    "hcloud:index/firewall:Firewall": Latency(2, "one API action"),
    "hcloud:index/firewallAttachment:FirewallAttachment": Latency(3, "one API action"),
    "hcloud:index/volume:Volume": Latency(10, "create and format"),
    "hcloud:index/volumeAttachment:VolumeAttachment": Latency(15, "attach action"),
    "hcloud:index/network:Network": Latency(2, "one API call"),
    "hcloud:index/networkSubnet:NetworkSubnet": Latency(3, "one API action"),
    "hcloud:index/serverNetwork:ServerNetwork": Latency(10, "attach action on a running server"),
    "hcloud:index/placementGroup:PlacementGroup": Latency(1, "one API call"),
    "hcloud:index/loadBalancer:LoadBalancer": Latency(20, "create action"),
    "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": Latency(10, "attach action"),
    "hcloud:index/loadBalancerService:LoadBalancerService": Latency(5, "one API action"),
    "hcloud:index/loadBalancerTarget:LoadBalancerTarget": Latency(5, "one API action"),
    "cloudflare:index/dnsRecord:DnsRecord": Latency(2, "one API call"),
    "cloudflare:index/r2Bucket:R2Bucket": Latency(3, "one API call"),
    "cloudflare:index/accountToken:AccountToken": Latency(2, "one API call"),
    "tls:index/privateKey:PrivateKey": Latency(0.1, "generated locally"),
    "random:index/randomPassword:RandomPassword": Latency(0.1, "generated locally"),
    "pulumi:providers:docker": Latency(1, "SSH connection"),
    "docker:index/volume:Volume": Latency(2, "one API call"),
}
# Steps over SSH, by the server script they run (components/scripts/).
STEP_LATENCIES = {
    "wait-for-ssh.sh": Latency(90, "boot (about 11 s) and cloud-init's package upgrade"),
    "harden-host.sh": Latency(45, "apt installs fail2ban and unattended-upgrades"),
    "install-coolify.sh": Latency(300, "Docker install, image pulls, upgrade step (up to 180 s)"),
    "wait-for-coolify.sh": Latency(20, "health check after the installer's own wait"),
    "direct-ports.sh": Latency(15, "compose recreates two containers"),
    "mount-volume.sh": Latency(10, "wait for the device, mount"),
    "postgres-roles.sh": Latency(5, "a few queries through docker exec"),
    "install-backup.sh": Latency(90, "apt installs rclone and age, then the first backup runs"),
    "install-monitor.sh": Latency(20, "apt installs jq, then one pass of the monitor (a 5 s CPU sample)"),
    "backup-before-upgrade.sh": Latency(5, "a first deploy has nothing to back up; an upgrade waits for one backup"),
    "read-coolify-key.sh": Latency(5, "a short script over SSH"),
    "authorize-key.sh": Latency(5, "a short script over SSH"),
    "register-worker.sh": Latency(240, "Coolify installs Docker on the worker, then validates it"),
    "accept-certificates.sh": Latency(5, "a short script over SSH"),
    "install-certificates.sh": Latency(
        90, "apt installs lego; a DNS challenge: TXT records, their propagation (lego waits up to 120 s), validation"
    ),
}
# Images and containers, by whether they are PostgreSQL's (larger, and initdb on first start) or another's.
PULLS = {True: Latency(20, "pull of about 160 MB"), False: Latency(8, "pull of about 44 MB")}
STARTS = {True: Latency(20, "start, initdb, healthcheck"), False: Latency(8, "start and healthcheck")}


class MissingLatencyError(Exception):
    """A step runs a script the latency table has no row for."""


def _is_postgres(image: object) -> bool:
    name = str(image).split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return name in POSTGRES_IMAGE_FAMILIES


def latency(resource: RecordedResource) -> float:
    if not resource.custom or (
        resource.type.startswith("pulumi:providers:") and resource.type != "pulumi:providers:docker"
    ):
        return 0.0
    inputs = reveal(resource.inputs)
    if resource.type in COMMAND_TYPES:
        script = server_scripts.script_sent_as(str(inputs.get("stdin")))
        if script not in STEP_LATENCIES:
            raise MissingLatencyError(
                f"{resource.name} runs {script or 'no script of components/scripts/'}, which has no row in "
                "STEP_LATENCIES (preview/sections/deploy_time.py)"
            )
        return STEP_LATENCIES[script].seconds
    if resource.type == IMAGE:
        return PULLS[_is_postgres(inputs.get("name"))].seconds
    if resource.type == CONTAINER:
        return STARTS[_is_postgres(inputs.get("image"))].seconds
    known = RESOURCE_LATENCIES.get(resource.type)
    return known.seconds if known else UNKNOWN_TYPE_SECONDS


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

    def __init__(self, compact: bool = False) -> None:
        self.compact = compact

    def render(self, recording: RecordedStack) -> SectionReport:
        heading = "Deploy time of a new stack (estimate; latencies in preview/sections/deploy_time.py):"
        try:
            plan = schedule(recording.resources)
        except MissingLatencyError as error:
            return SectionReport(
                [heading, f"    error: {error}"], failed=True, problem=str(error), fix="the missing latency"
            )
        if self.compact:
            longest = max(plan.critical_path, key=latency, default=None)
            slowest = f"; the longest: {longest.name}, {_duration(latency(longest))}" if longest else ""
            total = _duration(plan.total_seconds)
            return SectionReport(
                [f"Deploy time (estimate): about {total}, {len(plan.critical_path)} steps in a row{slowest}"]
            )
        rows = [
            f"      {latency(resource):6.1f} s  {resource.name}  ({resource.type})" for resource in plan.critical_path
        ]
        off_path = sum(1 for resource in recording.resources if latency(resource) > 0) - len(plan.critical_path)
        return SectionReport(
            [
                heading,
                f"    critical path: {len(plan.critical_path)} steps, {_duration(plan.total_seconds)}",
                *rows,
                f"    all {off_path + len(plan.critical_path)} steps one after another would take "
                f"{_duration(plan.serial_seconds)}; in parallel "
                f"{plan.serial_seconds / max(plan.total_seconds, 1):.1f}x faster, up to {plan.peak_parallel} at once; "
                f"{off_path} run beside the critical path",
            ]
        )
