"""The remaining resource policies, through the pack: a compliant resource, then one change per case."""

from typing import Any

import pytest

from policies.rules.pinned_images import image_problem
from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource

STRONG = "K8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"
CONTAINER = "docker:index/container:Container"


def postgres(**changes: Any) -> Resource:
    props: dict[str, Any] = {
        "image": "postgres:16.4",
        "envs": ["POSTGRES_USER=app", f"POSTGRES_PASSWORD={STRONG}"],
        "volumes": [{"volumeName": "pgdata", "containerPath": "/var/lib/postgresql/data"}],
    }
    props.update(changes)
    return Resource(CONTAINER, props, name="postgres", additional_secret_outputs=("envs",))


def redis(**changes: Any) -> Resource:
    props: dict[str, Any] = {
        "image": "redis:7.4.1",
        "command": ["redis-server", "--appendonly", "yes", "--requirepass", STRONG],
        "volumes": [{"volumeName": "redisdata", "containerPath": "/data"}],
    }
    props.update(changes)
    return Resource(CONTAINER, props, name="redis", additional_secret_outputs=("command",))


class TestSecretsInState:
    POLICY = "secrets-enable-state-encryption"

    def test_secret_inputs_listed_as_secret_outputs_pass(self, check: Check) -> None:
        assert check(self.POLICY, postgres(), redis()) == []

    def test_container_envs_must_be_encrypted(self, check: Check) -> None:
        resource = postgres()
        resource.additional_secret_outputs = ()
        assert check(self.POLICY, resource) == [
            "envs carries secrets (envs POSTGRES_PASSWORD) but is not encrypted in the state; list 'envs' in the "
            "resource's additional_secret_outputs."
        ]

    def test_redis_command_must_be_encrypted(self, check: Check) -> None:
        resource = redis()
        resource.additional_secret_outputs = ("envs",)
        assert check(self.POLICY, resource) == [
            "command carries secrets (command --requirepass) but is not encrypted in the state; list 'command' in "
            "the resource's additional_secret_outputs."
        ]

    def test_remote_command_environment_must_be_encrypted(self, check: Check) -> None:
        command = Resource("command:remote:Command", {"create": "x", "environment": {"ROOT_USER_PASSWORD": UNKNOWN}})
        assert check(self.POLICY, command) == [
            "environment carries secrets (environment ROOT_USER_PASSWORD) but is not encrypted in the state; list "
            "'environment' in the resource's additional_secret_outputs."
        ]
        command.additional_secret_outputs = ("connection", "environment")
        assert check(self.POLICY, command) == []

    def test_provider_configuration_is_left_to_the_engine(self, check: Check) -> None:
        assert check(self.POLICY, Resource("pulumi:providers:hcloud", {"token": UNKNOWN}, name="default")) == []


class TestPinnedImages:
    POLICY = "docker-image-disallow-unpinned-tags"

    @pytest.mark.parametrize(
        "image",
        ["postgres:16.4", "timescale/timescaledb:2.17.2-pg16", "ghcr.io/org/app:1.2.3",
         "postgres@sha256:" + "a" * 64, "sha256:" + "b" * 64, "localhost:5000/app:1.0", UNKNOWN],
    )  # fmt: skip
    def test_pinned_images_pass(self, check: Check, image: Any) -> None:
        assert check(self.POLICY, postgres(image=image)) == []

    @pytest.mark.parametrize(
        ("image", "problem"),
        [
            ("postgres", "has no tag, which means latest"),
            ("redis:latest", "uses the moving tag 'latest'"),
            ("ghcr.io/org/app:stable", "uses the moving tag 'stable'"),
            ("localhost:5000/app", "has no tag, which means latest"),
        ],
    )
    def test_unpinned_images_are_refused(self, check: Check, image: str, problem: str) -> None:
        assert check(self.POLICY, postgres(image=image)) == [
            f"image '{image}' {problem}; pin a version tag (postgres:16.4) or a digest."
        ]

    def test_remote_images_are_checked_too(self, check: Check) -> None:
        assert check(self.POLICY, Resource("docker:index/remoteImage:RemoteImage", {"name": "redis"})) == [
            "name 'redis' has no tag, which means latest; pin a version tag (postgres:16.4) or a digest."
        ]

    def test_moving_tags_are_configurable(self, check: Check) -> None:
        assert check(self.POLICY, postgres(image="postgres:16"), config={"floatingTags": ["16"]}) == [
            "image 'postgres:16' uses the moving tag '16'; pin a version tag (postgres:16.4) or a digest."
        ]

    def test_image_problem_reads_registries_with_ports(self) -> None:
        assert image_problem("registry.example.com:443/team/app:2.0", ["latest"]) is None


class TestProtection:
    POLICY = "stateful-resources-enable-protection"

    @pytest.mark.parametrize(
        "resource",
        [
            Resource("hcloud:index/server:Server", {"deleteProtection": True}, protect=True),
            Resource("hcloud:index/primaryIp:PrimaryIp", {"deleteProtection": True}, protect=True),
            Resource("docker:index/volume:Volume", {"name": "pgdata"}, protect=True),
            Resource("cloudflare:index/r2Bucket:R2Bucket", {"name": "backups"}, protect=True),
            Resource("hcloud:index/firewall:Firewall", {"rules": []}),
        ],
        ids=["server", "primary-ip", "docker-volume", "bucket", "stateless-firewall"],
    )
    def test_protected_or_stateless_resources_pass(self, check: Check, resource: Resource) -> None:
        assert check(self.POLICY, resource) == []

    @pytest.mark.parametrize(
        ("resource", "missing"),
        [
            (Resource("hcloud:index/server:Server", {"deleteProtection": True}), "Pulumi protect"),
            (
                Resource("hcloud:index/server:Server", {"deleteProtection": False}, protect=True),
                "Hetzner delete protection",
            ),
            (Resource("hcloud:index/volume:Volume", {}), "Pulumi protect and Hetzner delete protection"),
            (Resource("docker:index/volume:Volume", {"name": "pgdata"}), "Pulumi protect"),
            (Resource("cloudflare:index/r2Bucket:R2Bucket", {"name": "b"}), "Pulumi protect"),
        ],
        ids=["server-unprotected", "server-without-hetzner-protection", "volume", "docker-volume", "bucket"],
    )
    def test_unprotected_stateful_resources_are_refused(self, check: Check, resource: Resource, missing: str) -> None:
        assert check(self.POLICY, resource) == [f"subject holds data or an address and lacks {missing}."]

    def test_types_are_configurable(self, check: Check) -> None:
        volume = Resource("docker:index/volume:Volume", {"name": "cache"})
        assert check(self.POLICY, volume, config={"resourceTypes": ["hcloud:index/server:Server"]}) == []


class TestDnsPrivateAddresses:
    POLICY = "cloudflare-dns-record-disallow-private-addresses"

    @staticmethod
    def record(content: Any, kind: str = "A") -> Resource:
        return Resource(
            "cloudflare:index/dnsRecord:DnsRecord",
            {"name": "app.example.com", "type": kind, "content": content, "ttl": 1},
        )

    @pytest.mark.parametrize(("content", "kind"), [("49.12.0.1", "A"), ("2a01:4f8:c0c:1::1", "AAAA"), (UNKNOWN, "A")])
    def test_public_or_unknown_addresses_pass(self, check: Check, content: Any, kind: str) -> None:
        assert check(self.POLICY, self.record(content, kind)) == []

    @pytest.mark.parametrize(
        ("content", "kind"),
        [("10.0.0.5", "A"), ("192.168.1.10", "A"), ("127.0.0.1", "A"), ("100.64.0.1", "A"), ("203.0.113.5", "A"),
         ("169.254.1.1", "A"), ("fd00::1", "AAAA"), ("::1", "AAAA"), ("fe80::1", "AAAA")],
    )  # fmt: skip
    def test_private_addresses_are_refused(self, check: Check, content: str, kind: str) -> None:
        assert check(self.POLICY, self.record(content, kind)) == [
            f"app.example.com points at {content}, which is not reachable from the internet (private, loopback, "
            "link-local, shared or documentation range)."
        ]

    def test_other_record_types_are_ignored(self, check: Check) -> None:
        assert check(self.POLICY, self.record("10.0.0.5", "TXT")) == []

    def test_content_that_is_no_address_is_reported(self, check: Check) -> None:
        assert check(self.POLICY, self.record("localhost")) == [
            "app.example.com A record content 'localhost' is not an address."
        ]


class TestDockerProviderTransport:
    POLICY = "docker-provider-disallow-plain-tcp"

    @staticmethod
    def provider(**props: Any) -> Resource:
        return Resource("pulumi:providers:docker", props, name="server-docker")

    @pytest.mark.parametrize("host", ["ssh://root@49.12.0.1", "SSH://deploy@host:22", UNKNOWN])
    def test_ssh_passes(self, check: Check, host: Any) -> None:
        assert check(self.POLICY, self.provider(host=host)) == []

    @pytest.mark.parametrize("host", ["tcp://49.12.0.1:2375", "tcp://49.12.0.1:2376", "unix:///var/run/docker.sock"])
    def test_other_transports_are_refused(self, check: Check, host: str) -> None:
        assert check(self.POLICY, self.provider(host=host)) == [
            f"host '{host}' is not reached over ssh://; use ssh://root@<server> so the Docker API never listens "
            "on a port."
        ]

    def test_a_provider_without_host_is_refused(self, check: Check) -> None:
        assert check(self.POLICY, self.provider()) == [
            "no host (the Docker daemon of whatever machine runs pulumi) is not reached over ssh://; use "
            "ssh://root@<server> so the Docker API never listens on a port."
        ]


class TestRedisPassword:
    POLICY = "redis-container-enable-password"
    MISSING = (
        "redis runs Redis without a password; the official image turns protected mode off, so start it with "
        "--requirepass from a generated secret."
    )

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"command": ["redis-server", "--requirepass", UNKNOWN]},
            {"image": "bitnami/redis:7.4.1", "command": None, "envs": [f"REDIS_PASSWORD={STRONG}"]},
            {
                "image": "redis/redis-stack-server:7.4.0",
                "command": None,
                "envs": [f"REDIS_ARGS=--requirepass {STRONG}"],
            },
        ],
        ids=["requirepass", "generated-requirepass", "bitnami-env", "redis-args"],
    )
    def test_redis_with_a_password_passes(self, check: Check, changes: dict[str, Any]) -> None:
        assert check(self.POLICY, redis(**changes)) == []

    @pytest.mark.parametrize(
        "changes",
        [
            {"command": ["redis-server", "--appendonly", "yes"]},
            {"command": None},
            {"image": "valkey/valkey:8.0.1", "command": None},
        ],
        ids=["no-requirepass", "default-command", "valkey"],
    )
    def test_redis_without_a_password_is_refused(self, check: Check, changes: dict[str, Any]) -> None:
        assert check(self.POLICY, redis(**changes)) == [self.MISSING]

    def test_other_images_are_not_redis(self, check: Check) -> None:
        assert check(self.POLICY, redis(image="nginx:1.27.2", command=None)) == []


class TestDataVolumes:
    POLICY = "docker-data-containers-enable-volumes"

    @pytest.mark.parametrize(
        "resource",
        [
            postgres(),
            postgres(volumes=[{"hostPath": "/mnt/data/pg", "containerPath": "/var/lib/postgresql/data/"}]),
            postgres(
                image="timescale/timescaledb-ha:pg16.4-ts2.17.2",
                volumes=[{"volumeName": "pg", "containerPath": "/home/postgres/pgdata"}],
            ),
            redis(),
            Resource(CONTAINER, {"image": "nginx:1.27.2"}),
            postgres(volumes=[UNKNOWN]),
        ],
        ids=["postgres-named-volume", "postgres-host-path", "timescale-ha", "redis", "stateless-app", "unknown"],
    )  # fmt: skip
    def test_data_on_volumes_passes(self, check: Check, resource: Resource) -> None:
        assert check(self.POLICY, resource) == []

    @pytest.mark.parametrize(
        ("resource", "expected"),
        [
            (postgres(volumes=None), "postgres keeps its postgres data in the container (/var/lib/postgresql/data is "
             "not on a named volume or host path); replacing the container would lose it."),
            (postgres(volumes=[{"containerPath": "/var/lib/postgresql/data"}]), "postgres keeps its postgres data in "
             "the container (/var/lib/postgresql/data is not on a named volume or host path); replacing the "
             "container would lose it."),
            (redis(volumes=[{"volumeName": "x", "containerPath": "/srv"}]), "redis keeps its redis data in the "
             "container (/data is not on a named volume or host path); replacing the container would lose it."),
        ],
        ids=["no-volume", "anonymous-volume", "wrong-path"],
    )  # fmt: skip
    def test_data_in_the_container_is_refused(self, check: Check, resource: Resource, expected: str) -> None:
        assert check(self.POLICY, resource) == [expected]
