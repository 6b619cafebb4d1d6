"""The critical path of a deploy: on a small graph known by heart, and on the shipped stacks."""

from collections.abc import Callable

from components.server_scripts import server_script
from preview.engine import RecordedResource, RecordedStack
from preview.sections.deploy_time import STEP_LATENCIES, DeployTime, latency, schedule
from tests.conftest import record

Recorded = Callable[[str, str], RecordedStack]


def node(name: str, kind: str, *after: str, provider: str = "", script: str = "") -> RecordedResource:
    inputs = {"stdin": server_script(script).text} if script else {}
    return RecordedResource(
        f"urn:{name}", kind, name, inputs=inputs, dependencies=tuple(f"urn:{dep}" for dep in after), provider=provider
    )


SERVER, RECORD, KEY, ZONE = (
    "hcloud:index/server:Server",  # 75 s
    "cloudflare:index/dnsRecord:DnsRecord",  # 2 s
    "hcloud:index/sshKey:SshKey",  # 1 s
    "hcloud:index/network:Network",  # 2 s
)


def test_a_small_graph() -> None:
    # key(1) -> server(75) -> install(300) ; key -> record(2) ; network(2) alone
    graph = [
        node("key", KEY),
        node("server", SERVER, "key"),
        node("x-install-coolify", "command:remote:Command", "server", script="install-coolify.sh"),
        node("record", RECORD, "key"),
        node("network", ZONE),
    ]
    plan = schedule(graph)
    assert [resource.name for resource in plan.critical_path] == ["key", "server", "x-install-coolify"]
    assert plan.total_seconds == 376
    assert plan.serial_seconds == 1 + 75 + 300 + 2 + 2
    assert plan.peak_parallel == 3  # from 1 s to 2 s: server, record and network
    assert plan.finish["urn:record"] == 3


def test_an_explicit_provider_is_a_dependency() -> None:
    graph = [
        node("image", "docker:index/remoteImage:RemoteImage", provider="urn:docker::id"),
        node("docker", "pulumi:providers:docker", "gate"),
        node("gate", "command:remote:Command", script="direct-ports.sh"),
    ]
    assert [resource.name for resource in schedule(graph).critical_path] == ["gate", "docker", "image"]


def test_components_and_the_stack_take_no_time(recorded: Recorded) -> None:
    recording = recorded("staging", "plan")
    assert all(latency(resource) == 0 for resource in recording.resources if not resource.custom)


def test_shipped_production_waits_for_the_bootstrap_then_the_data(recorded: Recorded) -> None:
    plan = schedule(recorded("production", "plan").resources)
    names = [resource.name for resource in plan.critical_path]
    # The backup before an upgrade comes between the hardening and Coolify; the monitor, installed after the
    # backup job, ends the deploy.
    bootstrap = ["host-server", "host-wait-for-ssh", "host-harden-host", "upgrade-backup-run",
                 "coolify-install-coolify", "coolify-wait-for-coolify", "coolify-direct-ports"]  # fmt: skip
    assert names[names.index("host-server") :][: len(bootstrap)] == bootstrap
    assert names[-2:] == ["backups-install-job", "monitoring-install"]
    assert plan.total_seconds == sum(latency(resource) for resource in plan.critical_path)
    assert 9 * 60 < plan.total_seconds < 12 * 60


def test_independent_resources_never_wait_for_the_bootstrap(recorded: Recorded) -> None:
    recording = recorded("production", "plan")
    by_urn = {resource.urn: resource for resource in recording.resources}

    def upstream(resource: RecordedResource) -> set[str]:
        names: set[str] = set()
        for urn in resource.dependencies:
            names |= {by_urn[urn].name} | upstream(by_urn[urn])
        return names

    independent = [*recording.of_type("cloudflare:index/dnsRecord:DnsRecord"), recording.named("backups-bucket"),
                   recording.named("backups-token"), recording.named("host-firewall")]  # fmt: skip
    for resource in independent:
        assert not {name for name in upstream(resource) if name.startswith("coolify-")}, resource.name
        assert "host-server" not in upstream(resource), resource.name


def test_the_report_states_path_total_and_parallelism(recorded: Recorded) -> None:
    lines = DeployTime().render(recorded("staging", "plan")).lines
    assert lines[0].startswith("Deploy time of a new stack (estimate")
    assert lines[1].startswith("    critical path: ")
    assert "coolify-install-coolify" in "\n".join(lines)
    assert "in parallel" in lines[-1] and "at once" in lines[-1]


def test_workers_run_beside_each_other() -> None:
    few, many = (schedule(record("staging", {"workers": {"count": count}}).resources) for count in (1, 10))
    assert many.total_seconds == few.total_seconds
    assert many.peak_parallel > few.peak_parallel


def test_a_step_whose_script_has_no_latency_fails_the_estimate() -> None:
    unknown = node("owner-install", "command:remote:Command")
    report = DeployTime().render(RecordedStack("p", "s", (unknown,), ()))
    assert report.failed
    assert report.lines[-1] == (
        "    error: owner-install runs no script of components/scripts/, which has no row in STEP_LATENCIES "
        "(preview/sections/deploy_time.py)"
    )


def test_every_step_of_every_feature_has_its_own_latency() -> None:
    everything = {"workers": {"count": 2}, "coolifyApiToken": "1|k8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"}
    recording = record("production", everything, secret_keys=frozenset({"coolifyApiToken"}))
    steps = [resource for resource in recording.resources if resource.type.startswith("command:")]
    scripts = {
        name for name in STEP_LATENCIES if any(step.inputs["stdin"] == server_script(name).text for step in steps)
    }
    assert scripts == set(STEP_LATENCIES)
    assert not DeployTime().render(recording).failed


def test_the_compact_report_is_one_line(recorded: Recorded) -> None:
    (line,) = DeployTime(compact=True).render(recorded("staging", "plan")).lines
    assert line.startswith("Deploy time (estimate): about ")
    assert line.endswith("; the longest: coolify-install-coolify, 5 min 00 s")


def test_a_missing_latency_fails_the_compact_report_too() -> None:
    report = DeployTime(compact=True).render(
        RecordedStack("p", "s", (node("owner-install", "command:remote:Command"),), ())
    )
    assert report.failed and report.fix == "the missing latency"
    assert report.problem.startswith("owner-install runs no script of components/scripts/")
