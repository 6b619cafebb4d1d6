"""Whole programs in the shapes of public Hetzner + Coolify + Docker + Cloudflare programs, through the offline
preview and the policy pack, get exactly the verdicts they should: no false alarm on the correct ones, and on the
others every mistake and bypass attempt reported, by the right policy, at the right level, with the right text.

Each program (tests/fixtures/programs/<name>/) runs as `python -m preview --stack <stack> --project-dir <dir>`,
so the pack is configured as `pulumi preview --policy-pack policies` would configure it for that stack: from
policies/config/<stack>.json. Every program runs as `production`, the stricter stack (broad data-port sources
mandatory, secrets of 32 characters, stateful resources protected); the tutorial runs as `staging` too, where
public admin ports and unpinned tags are only advisory and protection is not required.
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import pytest

from policies.guardrails import POLICIES
from tests.conftest import PROJECT_DIR

PROGRAMS_DIR = PROJECT_DIR / "tests" / "fixtures" / "programs"
DESCRIPTIONS = {policy.name: policy.description for policy in POLICIES}
PREVIEW_TIMEOUT_SECONDS = 180

VIOLATION_LINE = re.compile(r"^        - \[(?P<level>[a-z]+)\]  (?P<policy>\S+)(?:  \((?P<resource>.+)\))?$")
MESSAGE_LINE_INDENT = " " * 10
SUMMARY_LINE = re.compile(
    r"^    (?P<policies>\d+) policies checked: (?P<mandatory>\d+) mandatory and (?P<advisory>\d+) advisory violations$"
)

CONTAINER = "docker:index/container:Container"
DOCKER_VOLUME = "docker:index/volume:Volume"
FIREWALL = "hcloud:index/firewall:Firewall"
SERVER = "hcloud:index/server:Server"
LB_SERVICE = "hcloud:index/loadBalancerService:LoadBalancerService"
REMOTE_COMMAND = "command:remote:Command"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"


class Verdict(NamedTuple):
    level: str
    policy: str
    resource: str
    """'type: name' as the report shows it; '' for the stack."""
    detail: str
    """The reported text after the policy's description."""


@dataclass(frozen=True)
class PreviewReport:
    returncode: int
    config_line: str
    verdicts: list[Verdict]
    summary: str


@dataclass(frozen=True)
class Case:
    program: str
    stack: str
    verdicts: tuple[Verdict, ...]
    """Every verdict the program should get, as it should read."""

    @property
    def id(self) -> str:
        return f"{self.program}-{self.stack}"

    @property
    def summary(self) -> str:
        mandatory = sum(1 for verdict in self.verdicts if verdict.level == "mandatory")
        advisory = sum(1 for verdict in self.verdicts if verdict.level == "advisory")
        return f"{len(POLICIES)} policies checked: {mandatory} mandatory and {advisory} advisory violations"


def mandatory(policy: str, resource: str, detail: str) -> Verdict:
    return Verdict("mandatory", policy, resource, detail)


def parse_policies_section(stdout: str) -> tuple[str, list[Verdict], str]:
    """The pack line, every violation and the summary line of the report's Policies section."""
    title, pack_line, *lines = stdout[stdout.index("\nPolicies:\n") + 1 :].splitlines()
    found: list[tuple[str, str, str, list[str]]] = []
    summary = None
    for line in lines:
        if summary := SUMMARY_LINE.match(line):
            break
        if violation := VIOLATION_LINE.match(line):
            found.append((violation["level"], violation["policy"], violation["resource"] or "", []))
        elif line.startswith(MESSAGE_LINE_INDENT) and found:
            found[-1][3].append(line.removeprefix(MESSAGE_LINE_INDENT))
        else:
            raise AssertionError(f"unexpected line in the Policies section: {line!r}")
    assert title == "Policies:" and summary is not None, "the Policies section has no summary line"
    total = int(summary["mandatory"]) + int(summary["advisory"])
    verdicts = []
    for level, policy, resource, message_lines in found:
        message = "\n".join(message_lines)
        assert message.startswith(DESCRIPTIONS[policy]), f"{policy}: the message does not start with its description"
        verdicts.append(Verdict(level, policy, resource, message.removeprefix(DESCRIPTIONS[policy]).lstrip("\n")))
    assert len(verdicts) == total, f"{len(verdicts)} violations listed, the summary counts {total}"
    return pack_line.strip(), verdicts, summary[0].strip()


@cache
def preview(program: str, stack: str) -> PreviewReport:
    """`python -m preview` over one fixture program, run once per program and stack."""
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", stack, "--project-dir", str(PROGRAMS_DIR / program)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=PREVIEW_TIMEOUT_SECONDS,
    )
    assert result.returncode in (0, 1) and "\nPolicies:\n" in result.stdout, result.stderr
    config_line, verdicts, summary = parse_policies_section(result.stdout)
    return PreviewReport(result.returncode, config_line, verdicts, summary)


def admin_port_open_to_everyone(firewall: str, rule: int, port: int, service: str, level: str) -> Verdict:
    return Verdict(
        level,
        "hetzner-firewall-disallow-public-admin-ports",
        f"{FIREWALL}: {firewall}",
        f"rules[{rule}] (in, tcp {port}) opens {port} ({service}) to sources broader than admin networks, over a /16 "
        "of IPv4 or a /40 of IPv6 in all (0.0.0.0/0, ::/0); open it to the admin networks only.",
    )


def tutorial_verdicts(stack: str) -> tuple[Verdict, ...]:
    """The tutorial's mistakes; staging relaxes three policies to advisory and does not require protection."""
    relaxed = "advisory" if stack == "staging" else "mandatory"
    postgres = f"{CONTAINER}: postgres"
    verdicts = (
        mandatory(
            "installers-disallow-unverified-pipe-to-shell",
            f"{REMOTE_COMMAND}: install-coolify",
            "create pipes https://cdn.coollabs.io/coolify/install.sh into a shell: whatever that address serves "
            "today runs as root, unpinned and unverified; download a pinned release to a file, check its sha256 "
            "(sha256sum --check), then run it.",
        ),
        admin_port_open_to_everyone("coolify-firewall", 0, 22, "SSH", relaxed),
        admin_port_open_to_everyone("coolify-firewall", 3, 8000, "Coolify dashboard", relaxed),
        admin_port_open_to_everyone("coolify-firewall", 4, 6001, "Coolify realtime", relaxed),
        admin_port_open_to_everyone("coolify-firewall", 5, 6002, "Coolify terminal", relaxed),
        mandatory(
            "docker-container-disallow-coolify-service-names",
            postgres,
            "name 'postgres' on Coolify's network is a name Coolify's own services answer to: apps asking for it "
            "reach either at random; choose another (app-postgres, app-redis).",
        ),
        mandatory(
            "secrets-disallow-default-values",
            postgres,
            "envs POSTGRES_PASSWORD is built on a well-known word; without it, what is left is weak; generate it "
            "(pulumi-random) or set it with `pulumi config set --secret`.",
        ),
        mandatory(
            "secrets-enable-state-encryption",
            postgres,
            "envs POSTGRES_PASSWORD is a plain value, stored unencrypted in the state; pass a secret Output (a "
            "RandomPassword's result, pulumi.Output.secret(...) or a secret config value).",
        ),
        Verdict(
            relaxed,
            "docker-image-disallow-unpinned-tags",
            postgres,
            "postgres image 'postgres:16' uses the tag '16', a major version that moves with every minor release; "
            "pin a release (postgres:17.6) or a digest.",
        ),
        Verdict(
            relaxed,
            "postgres-container-enable-backups",
            postgres,
            "postgres runs PostgreSQL but no backup job of the stack names it: add the backups component (a systemd "
            "timer with OnCalendar= whose job dumps the container 'postgres'; in this repository's program, "
            "`hetzner-coolify:backups.enabled: true`, the default).",
        ),
    )
    if stack == "staging":
        return verdicts
    return (
        *verdicts,
        mandatory(
            "stateful-resources-enable-protection",
            f"{SERVER}: coolify-server",
            "coolify-server holds data or an address and lacks Pulumi protect and Hetzner delete protection.",
        ),
        mandatory(
            "stateful-resources-enable-protection",
            f"{DOCKER_VOLUME}: pgdata",
            "pgdata holds data or an address and lacks Pulumi protect.",
        ),
    )


BYPASS_VERDICTS = (
    mandatory(
        "hetzner-firewall-disallow-public-data-ports",
        f"{FIREWALL}: everything-but-postgres",
        "rules[0] (in, tcp 1-5431) opens 2375 (Docker API), 2376 (Docker API (TLS)), 3306 (MySQL), 4222 (NATS) to the "
        "whole internet or a large part of it (0.0.0.0/0); apps reach it over the Docker network, operators through "
        "an SSH tunnel.",
    ),
    mandatory(
        "hetzner-firewall-disallow-public-data-ports",
        f"{FIREWALL}: everything-but-postgres",
        "rules[1] (in, tcp 5433-65535) opens 5671 (AMQP over TLS), 5672 (AMQP (RabbitMQ)), 5984 (CouchDB), 6333 "
        "(Qdrant HTTP), 6334 (Qdrant gRPC), 6379 (Redis) and 16 more to the whole internet or a large part of it "
        "(0.0.0.0/0); apps reach it over the Docker network, operators through an SSH tunnel.",
    ),
    mandatory(
        "hetzner-firewall-disallow-public-admin-ports",
        f"{FIREWALL}: everything-but-postgres",
        "rules[0] (in, tcp 1-5431) opens 22 (SSH), 2379 (etcd), 2380 (etcd peers), 3389 (RDP), 4646 (Nomad HTTP API) "
        "to sources broader than admin networks, over a /16 of IPv4 or a /40 of IPv6 in all (0.0.0.0/0); open it to "
        "the admin networks only.",
    ),
    mandatory(
        "hetzner-firewall-disallow-public-admin-ports",
        f"{FIREWALL}: everything-but-postgres",
        "rules[1] (in, tcp 5433-65535) opens 5601 (Kibana), 5900 (VNC), 6443 (Kubernetes API), 8200 (Vault), 8500 "
        "(Consul HTTP API), 9001 (MinIO console) and 5 more to sources broader than admin networks, over a /16 of "
        "IPv4 or a /40 of IPv6 in all (0.0.0.0/0); open it to the admin networks only.",
    ),
    mandatory(
        "hetzner-server-enable-cloud-firewall",
        f"{SERVER}: web",
        "server web's firewalls (everything-but-postgres) let the internet reach 65534 tcp and udp ports: a firewall "
        "that opens nearly everything filters nothing; open only the ports the server serves.",
    ),
    mandatory(
        "hetzner-firewall-disallow-public-admin-ports",
        f"{FIREWALL}: ssh-from-both-halves",
        "rules[0] (in, tcp 22) opens 22 (SSH) to sources broader than admin networks, over a /16 of IPv4 or a /40 of "
        "IPv6 in all (0.0.0.0/1, 128.0.0.0/1: more than a /16); open it to the admin networks only.",
    ),
    mandatory(
        "hetzner-server-enable-cloud-firewall",
        f"{SERVER}: db",
        "server db firewall_ids names 1 firewall(s) that this stack does not create, whose rules no policy can "
        "judge; name the stack's own Firewall resources.",
    ),
    mandatory(
        "docker-container-disallow-published-data-ports",
        f"{CONTAINER}: db-postgres",
        "db-postgres ports[0] publishes 5432 (PostgreSQL) on 0.0.0.0, 15432; publish nothing (apps reach it over the "
        "Docker network) or bind it to 127.0.0.1 for SSH tunnels.",
    ),
    mandatory(
        "redis-container-enable-password",
        f"{CONTAINER}: db-redis",
        "db-redis command --requirepass is the literal text $REDIS_PASSWORD: nothing expands it (no shell runs the "
        "command); run it with sh -c, or pass a generated secret.",
    ),
    mandatory(
        "secrets-disallow-default-values",
        f"{CONTAINER}: db-redis",
        "command --requirepass is an unfilled template placeholder; generate it (pulumi-random) or set it with "
        "`pulumi config set --secret`.",
    ),
    mandatory(
        "secrets-enable-state-encryption",
        f"{CONTAINER}: db-redis",
        "command --requirepass is a plain value, stored unencrypted in the state; pass a secret Output (a "
        "RandomPassword's result, pulumi.Output.secret(...) or a secret config value).",
    ),
    mandatory(
        "cloudflare-dns-record-disallow-private-addresses",
        f"{DNS_RECORD}: db-v6",
        "db.example.com points at 64:ff9b::a00:1 (the IPv4 address 10.0.0.1 in an IPv6 spelling), which is not "
        "reachable from the internet (private, loopback, link-local, shared or documentation range).",
    ),
    mandatory(
        "hetzner-load-balancer-disallow-internal-ports",
        f"{LB_SERVICE}: reporting",
        "destinationPort 5432: the load balancer forwards the internet to PostgreSQL, from every address on the "
        "internet; serve only the apps' ports through it and reach the rest over SSH or a private network.",
    ),
)

COOLIFY_DASHBOARD_BEHIND_THE_LOAD_BALANCER = tuple(
    mandatory(
        "hetzner-load-balancer-disallow-internal-ports",
        f"{LB_SERVICE}: dashboard",
        f"{key} 8000: the load balancer {side} Coolify dashboard, from every address on the internet; serve only the "
        "apps' ports through it and reach the rest over SSH or a private network.",
    )
    for key, side in (("listenPort", "listens on"), ("destinationPort", "forwards the internet to"))
)

CASES = (
    Case("correct_coolify_host", "production", verdicts=()),
    Case("app_without_coolify", "production", verdicts=()),
    Case("coolify_tutorial", "production", verdicts=tutorial_verdicts("production")),
    Case("coolify_tutorial", "staging", verdicts=tutorial_verdicts("staging")),
    Case("bypass_attempts", "production", verdicts=BYPASS_VERDICTS),
    Case("coolify_behind_load_balancer", "production", verdicts=COOLIFY_DASHBOARD_BEHIND_THE_LOAD_BALANCER),
)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_program_gets_exactly_the_verdicts_it_should(case: Case) -> None:
    report = preview(case.program, case.stack)
    assert report.config_line.endswith(f"(local: policies; config: policies/config/{case.stack}.json)")
    assert sorted(report.verdicts) == sorted(case.verdicts)
    assert report.summary == case.summary
    # A program of someone else's may fail other sections (its commands have no deploy-time row), never pass with
    # a mandatory violation.
    if any(verdict.level == "mandatory" for verdict in case.verdicts):
        assert report.returncode == 1
