"""Steps over SSH: what a step may send as SSH environment is what the hardened sshd accepts."""

import pulumi
import pytest

from components.remote_steps import ServerAccess, StepContractError, remote_step
from preview.engine import ProgramError
from tests.components.conftest import record_components


def a_step_sending(variable: str) -> None:
    owner = pulumi.ComponentResource("test:index:Owner", "owner")
    server = ServerAccess("1001", "49.12.0.7", pulumi.Output.secret("fake key"))
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
