"""The recording engine: what it records, and how it stops on a refused configuration."""

from typing import Any

import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs

from preview.engine import ProgramError, run_program
from preview.mocks import PlanMocks
from preview.values import UNKNOWN
from tests.conftest import PROJECT_DIR, stack_settings


class CountingMocks(PlanMocks):
    def __init__(self) -> None:
        self.created: list[str] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args.name)
        return super().new_resource(args)


def test_refused_configuration_registers_nothing() -> None:
    mocks = CountingMocks()
    with pytest.raises(ProgramError, match=r"^hetzner-coolify:server.location: 'mars' is not a Hetzner location"):
        run_program(PROJECT_DIR, stack_settings("staging", {"server": {"location": "mars"}}), mocks)
    assert mocks.created == []
    # The runtime is left usable: the next run registers the whole stack.
    run_program(PROJECT_DIR, stack_settings("staging"), mocks)
    assert "host-server" in mocks.created


def test_plan_mode_knows_inputs_but_not_ids(recorded) -> None:
    recording = recorded("staging", "plan")
    server = recording.named("host-server")
    assert server.inputs["serverType"] == "cx33"
    assert server.inputs["publicNets"][0]["ipv4"] is UNKNOWN
    assert recording.outputs["serverId"] is UNKNOWN


def test_invokes_without_an_offline_stand_in_are_refused() -> None:
    args = MockCallArgs(token="hcloud:index/getServer:getServer", args={}, provider="")
    with pytest.raises(NotImplementedError, match="no stand-in for invoke hcloud:index/getServer:getServer"):
        PlanMocks().call(args)
