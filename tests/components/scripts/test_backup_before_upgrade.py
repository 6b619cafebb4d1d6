"""backup-before-upgrade.sh against stand-ins of docker and systemctl that answer as a server would."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.components.scripts.conftest import run_script

VERSION = "4.7.7"
IMAGE = "postgres:17.7-bookworm"
RUNNING_IMAGE_ID = "sha256:" + "a" * 64
STUBS = {
    # docker inspect of Coolify's container and of the app's Postgres, docker image inspect of a local image: each
    # answers from the environment, and fails (as docker does for a missing container or image) when it is unset.
    "docker": """#!/bin/bash
echo "docker $*" >>"$CALLS"
case "$*" in
  info) [[ -z "${DOCKER_DOWN:-}" ]] ;;
  "inspect --format {{.Config.Image}} coolify") [[ -n "${COOLIFY_IMAGE:-}" ]] && echo "$COOLIFY_IMAGE" ;;
  "inspect --format {{.Image}} app-postgres") [[ -n "${POSTGRES_RUNS:-}" ]] && echo "$POSTGRES_RUNS" ;;
  "image inspect --format {{.Id}} "*) [[ -n "${LOCAL_IMAGE_ID:-}" ]] && echo "$LOCAL_IMAGE_ID" ;;
  *) exit 1 ;;
esac
""",
    "systemctl": """#!/bin/bash
echo "systemctl $*" >>"$CALLS"
case "$1" in
  cat) [[ -n "${UNIT_INSTALLED:-}" ]] ;;
  start) exit "${BACKUP_STATUS:-0}" ;;
  *) exit 1 ;;
esac
""",
    "journalctl": '#!/bin/bash\necho "staged journal: backup failed at upload"\n',
}


def tools(directory: Path, names: tuple[str, ...]) -> Path:
    directory.mkdir()
    for name in names:
        (directory / name).write_text(STUBS[name])
        (directory / name).chmod(0o755)
    return directory


@pytest.fixture
def server(tmp_path: Path) -> Path:
    return tools(tmp_path / "bin", ("docker", "systemctl", "journalctl"))


def run(bin_dir: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = bin_dir.parent / "calls"
    calls.write_text("")
    inputs = {"COOLIFY_VERSION": VERSION, "POSTGRES_CONTAINER": "app-postgres", "POSTGRES_IMAGE": IMAGE,
              "TARGET_ROOT": str(bin_dir.parent / "root")}  # fmt: skip
    result = run_script(
        "backup-before-upgrade.sh",
        {**inputs, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls), **env},
    )
    return result, calls.read_text().splitlines()


def backed_up(calls: list[str]) -> bool:
    return "systemctl start hetzner-coolify-backup.service" in calls


BUMP = {"COOLIFY_IMAGE": "ghcr.io/coollabsio/coolify:4.7.6"}
UNCHANGED = {
    "COOLIFY_IMAGE": f"ghcr.io/coollabsio/coolify:{VERSION}",
    "POSTGRES_RUNS": RUNNING_IMAGE_ID,
    "LOCAL_IMAGE_ID": RUNNING_IMAGE_ID,
    "UNIT_INSTALLED": "yes",
}


def test_an_unchanged_server_is_not_backed_up(server: Path) -> None:
    result, calls = run(server, **UNCHANGED)
    assert result.returncode == 0, result.stderr
    assert "nothing that holds data is about to change (Coolify 4.7.7): no backup needed" in result.stderr
    assert not backed_up(calls)


def test_a_first_install_has_nothing_to_back_up(server: Path) -> None:
    result, calls = run(server)
    assert result.returncode == 0, result.stderr
    assert "(Coolify not installed): no backup needed" in result.stderr
    assert not backed_up(calls)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"COOLIFY_IMAGE": "ghcr.io/coollabsio/coolify:4.7.6"}, "Coolify 4.7.6 -> 4.7.7"),
        # The image asked for is not on the server yet: a new tag.
        ({"LOCAL_IMAGE_ID": ""}, f"app-postgres -> {IMAGE}"),
        # The tag is there but names another image than the one running.
        ({"LOCAL_IMAGE_ID": "sha256:" + "b" * 64}, f"app-postgres -> {IMAGE}"),
    ],
    ids=["coolify-bump", "new-postgres-tag", "moved-postgres-tag"],
)
def test_an_upgrade_runs_the_backup_job_first(server: Path, change: dict[str, str], said: str) -> None:
    result, calls = run(server, **{**UNCHANGED, **change})
    assert result.returncode == 0, result.stderr
    assert f"backing up before the upgrade: {said}" in result.stderr
    assert backed_up(calls)
    assert result.stderr.rstrip().endswith("backed up; the upgrade may go ahead")


def test_both_changes_are_named(server: Path) -> None:
    result, _ = run(server, **{**UNCHANGED, **BUMP, "LOCAL_IMAGE_ID": ""})
    assert f"backing up before the upgrade: Coolify 4.7.6 -> 4.7.7; app-postgres -> {IMAGE}" in result.stderr


def test_a_failed_backup_stops_the_upgrade_with_the_jobs_log(server: Path) -> None:
    result, calls = run(server, **{**UNCHANGED, **BUMP}, BACKUP_STATUS="3")
    assert result.returncode == 1
    assert backed_up(calls)
    assert "staged journal: backup failed at upload" in result.stderr
    assert "error: the backup before the upgrade failed" in result.stderr
    assert "nothing was upgraded" in result.stderr


def test_an_upgrade_on_a_server_without_the_backup_job_is_refused(server: Path) -> None:
    result, calls = run(server, **{**UNCHANGED, **BUMP, "UNIT_INSTALLED": ""})
    assert result.returncode == 1
    assert not backed_up(calls)
    assert "this server has no backup job to run first" in result.stderr


def test_a_stack_without_postgres_looks_at_coolify_only(server: Path) -> None:
    result, calls = run(server, **{**UNCHANGED, "POSTGRES_CONTAINER": "", "POSTGRES_IMAGE": "", "LOCAL_IMAGE_ID": ""})
    assert result.returncode == 0, result.stderr
    assert not backed_up(calls)
    assert not [call for call in calls if "app-postgres" in call or "image inspect" in call]


def test_a_docker_that_does_not_answer_stops_the_upgrade(server: Path) -> None:
    result, calls = run(server, **UNCHANGED, DOCKER_DOWN="yes")
    assert result.returncode == 1
    assert "Docker does not answer here (docker info)" in result.stderr
    assert not backed_up(calls)


def test_coolify_installed_but_not_running_is_backed_up_before_the_installer_runs_again(server: Path) -> None:
    source = server.parent / "root" / "data" / "coolify" / "source"
    source.mkdir(parents=True)
    (source / ".env").write_text("APP_KEY=base64:x\n")
    result, calls = run(server, **{**UNCHANGED, "COOLIFY_IMAGE": ""})
    assert result.returncode == 0, result.stderr
    assert "backing up before the upgrade: Coolify (installed, not running) -> 4.7.7" in result.stderr
    assert backed_up(calls)
