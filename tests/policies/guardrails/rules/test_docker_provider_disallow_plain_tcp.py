"""docker-provider-disallow-plain-tcp, through the pack: a compliant resource, then one change per case, for both
Docker provider packages (pulumi-docker and docker-build)."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource


class TestDockerProviderTransport:
    POLICY = "docker-provider-disallow-plain-tcp"

    @staticmethod
    def provider(provider_type: str = "pulumi:providers:docker", **props: Any) -> Resource:
        return Resource(provider_type, props, name="server-docker")

    @pytest.mark.parametrize("host", ["ssh://root@49.12.0.1", "SSH://deploy@host:22", UNKNOWN])
    def test_ssh_passes(self, check: Check, host: Any) -> None:
        assert check(self.POLICY, self.provider(host=host)) == []

    @pytest.mark.parametrize("host", ["tcp://49.12.0.1:2375", "tcp://49.12.0.1:2376", "unix:///var/run/docker.sock"])
    @pytest.mark.parametrize("provider_type", ["pulumi:providers:docker", "pulumi:providers:docker-build"])
    def test_other_transports_are_refused(self, check: Check, host: str, provider_type: str) -> None:
        assert check(self.POLICY, self.provider(provider_type, host=host)) == [
            f"host '{host}' is not reached over ssh://; use ssh://root@<server> so the Docker API never listens "
            "on a port."
        ]

    def test_a_provider_without_host_is_refused(self, check: Check) -> None:
        assert check(self.POLICY, self.provider()) == [
            "no host (the Docker daemon of whatever machine runs pulumi) is not reached over ssh://; use "
            "ssh://root@<server> so the Docker API never listens on a port."
        ]
