"""Steps over SSH: what a step may send as SSH environment is what the hardened sshd accepts, and every step
pins the server's host key recorded at first contact."""

import pulumi
import pytest

from components.remote_steps import ServerAccess, StepContractError, remote_step
from preview.engine import ProgramError
from preview.mocks import FAKE_HOST_KEY
from tests.components.conftest import record_components

SERVER = ServerAccess("1001", "49.12.0.7", pulumi.Output.secret("fake key"))


def a_step_sending(variable: str) -> None:
    owner = pulumi.ComponentResource("test:index:Owner", "owner")
    server = SERVER.pinned(FAKE_HOST_KEY)
    remote_step("owner-step", server, "authorize-key.sh", {}, parent=owner, after=[], secrets={variable: "value"})


def test_a_step_that_sends_what_sshd_drops_fails_naming_the_step_and_the_variable() -> None:
    with pytest.raises(ProgramError) as refused:
        record_components(lambda _: a_step_sending("DATABASE_PASSWORD"))
    assert str(refused.value) == (
        "step owner-step sends DATABASE_PASSWORD as SSH environment, which the hardened sshd drops: add it to "
        "AcceptEnv in components/templates/sshd-hardening.conf"
    )
    assert isinstance(StepContractError("x"), pulumi.RunError)


def test_a_step_may_send_what_sshd_accepts() -> None:
    recording = record_components(lambda _: a_step_sending("COOLIFY_API_TOKEN"))
    assert recording.named("owner-step").inputs["environment"] == {"COOLIFY_API_TOKEN": "value"}


def test_a_step_to_a_server_whose_host_key_is_not_recorded_is_refused() -> None:
    def unpinned(_: object) -> None:
        owner = pulumi.ComponentResource("test:index:Owner", "owner")
        remote_step("owner-step", SERVER, "authorize-key.sh", {}, parent=owner, after=[])

    with pytest.raises(ProgramError) as refused:
        record_components(unpinned)
    assert str(refused.value) == "a step would reach a server whose host key is not recorded: pin it first"
