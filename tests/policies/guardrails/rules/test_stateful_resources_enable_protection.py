"""stateful-resources-enable-protection, through the pack: a compliant resource, then one change per case."""

import pytest

from tests.policies.conftest import Check, Resource


class TestProtection:
    POLICY = "stateful-resources-enable-protection"

    @pytest.mark.parametrize(
        "resource",
        [
            Resource("hcloud:index/server:Server", {"deleteProtection": True}, protect=True),
            Resource("hcloud:index/primaryIp:PrimaryIp", {"deleteProtection": True}, protect=True),
            Resource("docker:index/volume:Volume", {"name": "pgdata"}, protect=True),
            Resource("cloudflare:index/r2Bucket:R2Bucket", {"name": "backups"}, protect=True),
            Resource("cloudflare:index/r2BucketLock:R2BucketLock", {"bucketName": "backups"}, protect=True),
            Resource("hcloud:index/firewall:Firewall", {"rules": []}),
        ],
        ids=["server", "primary-ip", "docker-volume", "bucket", "bucket-lock", "stateless-firewall"],
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
            (Resource("cloudflare:index/r2BucketLock:R2BucketLock", {"bucketName": "b"}), "Pulumi protect"),
        ],
        ids=["server-unprotected", "server-without-hetzner-protection", "volume", "docker-volume", "bucket", "lock"],
    )
    def test_unprotected_stateful_resources_are_refused(self, check: Check, resource: Resource, missing: str) -> None:
        assert check(self.POLICY, resource) == [f"subject holds data or an address and lacks {missing}."]

    def test_types_are_configurable(self, check: Check) -> None:
        volume = Resource("docker:index/volume:Volume", {"name": "cache"})
        assert check(self.POLICY, volume, config={"resourceTypes": ["hcloud:index/server:Server"]}) == []
