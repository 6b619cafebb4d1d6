"""The backup before an upgrade, on the booted server: nothing to back up at the first deploy or when nothing changes,
a backup that must succeed before a new Postgres image runs."""

import shlex
from collections.abc import Iterator
from typing import Any

import pytest

from preview.engine import RecordedStack
from stack_config.coolify import CoolifySettings
from tests.conftest import layered, record
from tests.server.conftest import STACK, Deployment, RehearsalMocks
from tests.server.rehearsal import RehearsalError

STEP = "upgrade-backup-run"
SERVICE = "hetzner-coolify-backup.service"
NEW_IMAGE = "postgres:17.99-bookworm"
VERSION = CoolifySettings.model_fields["version"].default
COOLIFY_IMAGE = f"coollabsio/coolify:{VERSION}"


def recorded_with(deployment: Deployment, changes: dict[str, Any]) -> RecordedStack:
    """The stack as the session deployed it, with `changes`: what the next `pulumi up` would run."""
    deployed = {
        "adminSshKeys": [{"name": "rehearsal", "publicKey": deployment.admin_key.public_key}],
        "backups": {"ageRecipient": deployment.age.recipient},
    }
    return record(STACK, layered(deployed, changes), mocks=RehearsalMocks(deployment.deploy_key))


def sets(deployment: Deployment) -> set[str]:
    bucket, prefix = deployment.output("backupBucket"), deployment.output("backupPrefix")
    return {key.split("/")[1] for key in deployment.s3.keys(bucket, prefix) if key.endswith("/MANIFEST")}


def test_the_first_deploy_had_nothing_to_back_up(deployment: Deployment) -> None:
    # That it runs before Coolify's installation is the recorded order (tests/components/test_upgrade_backup.py).
    assert "nothing that holds data is about to change (Coolify not installed): no backup needed" in (
        deployment.rehearsal.runs[STEP].stderr
    )


@pytest.fixture
def coolify_running(deployment: Deployment) -> Iterator[None]:
    """A container named `coolify` running the pinned version's image, as Coolify's own is named and tagged
    (coollabsio/coolify@v4.3.10:docker-compose.yml:3, docker-compose.prod.yml:3: the version is the image's tag). A
    stand-in: Coolify's image is
    out of reach here, so it is the Postgres stand-in's image under Coolify's name, running `sleep`."""
    deployment.root(f"docker tag postgres:coolify-db {COOLIFY_IMAGE} && docker run --detach --name coolify "
                    f"--entrypoint sleep {COOLIFY_IMAGE} infinity >/dev/null")  # fmt: skip
    yield
    deployment.root(f"docker rm -f coolify >/dev/null && docker rmi {COOLIFY_IMAGE} >/dev/null")


@pytest.mark.usefixtures("coolify_running")
def test_an_unchanged_stack_backs_up_nothing(deployment: Deployment) -> None:
    before = sets(deployment)
    run = deployment.rehearsal.step(deployment.recording.named(STEP))
    # The Postgres container runs the image its tag names: no change.
    assert "nothing that holds data is about to change" in run.stderr
    assert sets(deployment) == before


@pytest.mark.usefixtures("coolify_running")
def test_a_coolify_bump_runs_only_after_a_new_backup(deployment: Deployment) -> None:
    upgrade = recorded_with(deployment, {"coolify": {"version": "4.99.0"}}).named(STEP)
    before = sets(deployment)
    run = deployment.rehearsal.step(upgrade)
    assert f"backing up before the upgrade: Coolify {VERSION} -> 4.99.0" in run.stderr
    assert len(sets(deployment) - before) == 1


@pytest.mark.usefixtures("coolify_running")
def test_a_new_postgres_image_runs_only_after_a_new_backup(deployment: Deployment) -> None:
    upgrade = recorded_with(deployment, {"postgres": {"image": NEW_IMAGE}}).named(STEP)
    before = sets(deployment)
    run = deployment.rehearsal.step(upgrade)
    assert f"backing up before the upgrade: app-postgres -> {NEW_IMAGE}" in run.stderr
    assert run.stderr.rstrip().endswith("backed up; the upgrade may go ahead")
    assert len(sets(deployment) - before) == 1
    assert deployment.root(f"systemctl show -p Result --value {SERVICE}").strip() == "success"


@pytest.mark.usefixtures("coolify_running")
def test_a_failed_backup_stops_the_upgrade(deployment: Deployment) -> None:
    upgrade = recorded_with(deployment, {"postgres": {"image": NEW_IMAGE}}).named(STEP)
    drop_in = f"/run/systemd/system/{SERVICE}.d/fail.conf"
    before = sets(deployment)
    try:
        deployment.root(
            f"mkdir -p {shlex.quote(drop_in.rsplit('/', 1)[0])} && printf '%s\\n' '[Service]' 'ExecStart=' "
            f"'ExecStart=/bin/sh -c \"echo staged upload failure >&2; exit 1\"' > {drop_in} && systemctl daemon-reload"
        )
        with pytest.raises(RehearsalError) as failed:
            deployment.rehearsal.step(upgrade)
    finally:
        deployment.root(f"rm -f {drop_in} && systemctl daemon-reload && systemctl reset-failed {SERVICE}")
    assert "staged upload failure" in str(failed.value)
    assert "error: the backup before the upgrade failed" in str(failed.value)
    assert sets(deployment) == before
