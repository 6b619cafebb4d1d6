"""restore-drill.sh's refusals that need no bucket, server or database: each says what is wrong, and the verdict
line says FAIL."""

import os
import subprocess

import pytest

from tests.components.scripts.conftest import SCRIPTS_DIR

SIGNING_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2wU1MjDVCKZ1GyDRcr7gxpAZ/6Q3TMpr+FVXRVXLk/ backup"
SETTINGS = {
    "BACKUP_S3_ENDPOINT": "http://127.0.0.1:1", "BACKUP_S3_BUCKET": "backups", "BACKUP_PREFIX": "staging",
    "BACKUP_S3_ACCESS_KEY_ID": "id", "BACKUP_S3_SECRET_ACCESS_KEY": "secret", "BACKUP_SIGNING_KEY": SIGNING_KEY,
    "AGE_IDENTITY_FILE": "/nonexistent/age-identity.txt",
}  # fmt: skip
USAGE = "usage: restore-drill.sh [--stack STACK [--source STACK] [--allow-production-target]] [SET|latest]"


def drill(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS_DIR / "restore-drill.sh"), *arguments], capture_output=True, text=True, check=False,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--source", "production"], "--source and --allow-production-target go with --stack"),
        (["--allow-production-target"], "--source and --allow-production-target go with --stack"),
        (["--stack", "staging; rm -rf /"], "--stack must be a stack name, not 'staging; rm -rf /'"),
        (["--stack"], USAGE),
        (["--unknown"], USAGE),
        (["latest", "extra"], USAGE),
    ],
)
def test_bad_arguments_are_refused_with_what_is_allowed(arguments: list[str], error: str) -> None:
    result = drill(*arguments, env=SETTINGS)
    assert result.returncode == 1
    assert result.stderr == f"[restore-drill] error: {error}\n"
    assert result.stdout == f"restore drill FAIL: {error}\n"


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"DRILL_SSH_HOST_KEY": "ssh-ed25519 AAAA"}, "DRILL_SSH_TARGET is not set"),
        ({"DRILL_SSH_TARGET": "admin@203.0.113.10"}, "DRILL_SSH_HOST_KEY is not set"),
        ({"DRILL_SSH_TARGET": "admin@203.0.113.10", "DRILL_SSH_HOST_KEY": "AAAA not a key line"},
         "DRILL_SSH_HOST_KEY must be the server's host key, 'ssh-ed25519 <base64>' (the serverHostKey output)"),
        ({"DRILL_SSH_TARGET": "admin@203.0.113.10", "DRILL_SSH_HOST_KEY": "ssh-ed25519 AAAA",
          "DRILL_CONTAINER": "app-postgres; reboot"}, "DRILL_CONTAINER must be a container name"),
    ],
)  # fmt: skip
def test_the_server_settings_are_checked_before_the_bucket_is_read(settings: dict[str, str], error: str) -> None:
    result = drill(env={**SETTINGS, **settings})
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"[restore-drill] error: {error}"
    assert result.stdout == f"restore drill FAIL: {error}\n"
