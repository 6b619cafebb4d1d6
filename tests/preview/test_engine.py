"""The recording engine: what it records, and how it stops on a refused configuration."""

from typing import Any

import pulumi
import pulumi_random as random
import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs
from pulumi_command import remote

from preview.engine import ProgramError, record, run_program
from preview.mocks import ApplyMocks, PlanMocks
from preview.values import UNKNOWN, Secret
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


@pytest.mark.parametrize("mocks", [PlanMocks(), ApplyMocks()], ids=["plan", "apply"])
def test_outputs_listed_as_secret_reach_other_resources_as_secrets(mocks: pulumi.runtime.Mocks) -> None:
    """RandomPassword lists `result` in additional_secret_outputs; the engine marks it, and so does the recording."""

    def program() -> None:
        password = random.RandomPassword("password", length=24)
        remote.Command(
            "consumer",
            connection=remote.ConnectionArgs(host="203.0.113.7"),
            create="true",
            environment={"PASSWORD": password.result},
        )

    previewing = isinstance(mocks, PlanMocks)
    recording = record(program, stack_settings("staging"), mocks, preview=previewing)
    # The SDK marks the whole property that holds a secret.
    environment = recording.named("consumer").inputs["environment"]
    assert isinstance(environment, Secret)
    password = environment.value["PASSWORD"]
    assert password is UNKNOWN if previewing else len(password) == 24
