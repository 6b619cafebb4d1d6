"""The backup before an upgrade: where it sits in the order of `pulumi up`, and what runs it again."""

from collections.abc import Iterator
from typing import Any

import pytest

from preview.engine import RecordedStack
from preview.values import reveal
from stack_config.coolify import CoolifySettings
from stack_config.data_services import PostgresSettings
from tests.conftest import record

STEP = "upgrade-backup-run"
STACK = "production"


def closure(recording: RecordedStack, name: str) -> set[str]:
    """Every resource `name` waits for, through dependencies, parents' dependencies and providers."""
    by_urn = {resource.urn: resource for resource in recording.resources}

    def waits_for(urn: str) -> Iterator[str]:
        resource = by_urn[urn]
        yield from resource.dependencies
        if resource.provider:
            yield resource.provider.rpartition("::")[0]

    seen: set[str] = set()
    pending = [recording.named(name).urn]
    while pending:
        for urn in waits_for(pending.pop()):
            if urn in by_urn and urn not in seen:
                seen.add(urn)
                pending.append(urn)
    return {by_urn[urn].name for urn in seen}


def step_run(recording: RecordedStack) -> str:
    """What runs the step again: its triggers and command line."""
    inputs = reveal(recording.named(STEP).inputs)
    return repr([inputs["triggers"], inputs["create"]])


@pytest.fixture(scope="module")
def production() -> RecordedStack:
    return record(STACK)


def recording_with(changes: dict[str, Any]) -> RecordedStack:
    return record(STACK, changes)


def test_coolify_and_postgres_change_only_after_the_backup(production: RecordedStack) -> None:
    assert STEP in closure(production, "coolify-install-coolify")
    assert STEP in closure(production, "data-postgres")
    # It needs a hardened server, and nothing that needs the running Coolify or the database.
    assert "host-harden-host" in closure(production, STEP)
    assert not {"coolify-install-coolify", "data-postgres", "backups-install-job"} & closure(production, STEP)


def test_the_step_is_told_what_is_about_to_run(production: RecordedStack) -> None:
    command = reveal(production.named(STEP).inputs)["create"]
    # Neither stack file sets them: the defaults.
    assert command.startswith(
        f"COOLIFY_VERSION={CoolifySettings.model_fields['version'].default} POSTGRES_CONTAINER=app-postgres "
        f"POSTGRES_IMAGE={PostgresSettings().image} "
    )


def test_a_coolify_bump_or_a_new_postgres_image_runs_it_again_and_nothing_else_does(production: RecordedStack) -> None:
    assert step_run(recording_with({})) == step_run(production)
    assert step_run(recording_with({"coolify": {"version": "4.7.8"}})) != step_run(production)
    assert step_run(recording_with({"postgres": {"image": "postgres:17.7-bookworm"}})) != step_run(production)
    assert step_run(recording_with({"postgres": {"memoryMb": 2048}, "redis": {"memoryMb": 512}})) == step_run(
        production
    )


def test_a_stack_without_postgres_backs_up_before_coolify_alone() -> None:
    command = reveal(recording_with({"postgres": {"enabled": False}}).named(STEP).inputs)["create"]
    assert " POSTGRES_CONTAINER='' POSTGRES_IMAGE='' " in command


def test_a_stack_without_backups_has_no_step_and_coolify_waits_for_nothing_more() -> None:
    recording = record("staging", {"backups": {"enabled": False}})
    assert not [resource for resource in recording.resources if resource.name == STEP]
    own = {"coolify-admin-password", "host-harden-host"}
    assert closure(recording, "coolify-install-coolify") == closure(recording, "host-harden-host") | own
