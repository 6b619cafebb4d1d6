"""install-backup.sh in a sandbox: the job, its settings, its credentials (root only) and its timer, once."""

import pytest

from components.backups import Bucket, DatabaseDump, job_inputs, job_settings
from stack_config.backups import BackupSettings, R2StorageSettings
from tests.components.scripts.conftest import Sandbox

CREDENTIALS = {"BACKUP_S3_ACCESS_KEY_ID": "0123456789abcdef", "BACKUP_S3_SECRET_ACCESS_KEY": "f" * 64}
STATE_CHANGING = ("apt-get", "systemctl daemon-reload", "systemctl enable", "systemctl restart", "systemctl start")


def inputs(schedule: str = "*-*-* 02:00:00 UTC") -> dict[str, str]:
    settings = BackupSettings(
        schedule=schedule,
        age_recipient="age1e0n8hx68j4g0ts6z78gx0ee0f30a3309f7gydjy4lkzdmy6wxepqurfhtx",
        storage=R2StorageSettings(account_id="0" * 32),
    )
    bucket = Bucket("https://example.eu.r2.cloudflarestorage.com", "bucket", "Cloudflare", "auto")
    values = job_settings(settings, "hetzner-coolify-staging", bucket, DatabaseDump("postgres", "app", "app"))
    return {**job_inputs(schedule, values), **CREDENTIALS}


def test_installs_the_job_and_enables_the_timer(sandbox: Sandbox) -> None:
    result = sandbox.run("install-backup.sh", inputs())
    assert result.returncode == 0, result.stderr
    root = sandbox.root
    job = root / "usr/local/sbin/hetzner-coolify-backup"
    assert oct(job.stat().st_mode & 0o777) == "0o755"
    assert "rclone check --one-way" in job.read_text()
    credentials = root / "etc/hetzner-coolify/credentials"
    assert oct(credentials.stat().st_mode & 0o777) == "0o700"
    for name, variable in (("s3-access-key-id", "BACKUP_S3_ACCESS_KEY_ID"),
                           ("s3-secret-access-key", "BACKUP_S3_SECRET_ACCESS_KEY")):  # fmt: skip
        assert (credentials / name).read_text() == CREDENTIALS[variable]
        assert oct((credentials / name).stat().st_mode & 0o777) == "0o600"
    settings = (root / "etc/hetzner-coolify/backup.env").read_text()
    assert 'BACKUP_S3_BUCKET="bucket"\n' in settings and 'POSTGRES_DB="app"\n' in settings
    timer = (root / "etc/systemd/system/hetzner-coolify-backup.timer").read_text()
    assert "OnCalendar=*-*-* 02:00:00 UTC\n" in timer and "Persistent=true\n" in timer
    calls = sandbox.calls()
    assert any(call.startswith("apt-get") and " rclone " in f"{call} " and " age " in f"{call} " for call in calls)
    assert "systemctl daemon-reload" in calls
    assert "systemctl enable hetzner-coolify-backup.timer" in calls
    assert CREDENTIALS["BACKUP_S3_SECRET_ACCESS_KEY"] not in result.stdout + result.stderr


def test_a_second_run_changes_nothing(sandbox: Sandbox) -> None:
    assert sandbox.run("install-backup.sh", inputs()).returncode == 0
    tree = sandbox.tree()
    second = sandbox.run("install-backup.sh", inputs())
    assert second.returncode == 0
    assert sandbox.tree() == tree
    assert [call for call in sandbox.calls() if call.startswith(STATE_CHANGING)] == []
    assert "backup job installed (0 files changed)" in second.stderr


def test_a_new_schedule_reloads_and_restarts_the_timer(sandbox: Sandbox) -> None:
    assert sandbox.run("install-backup.sh", inputs()).returncode == 0
    assert sandbox.run("install-backup.sh", inputs("*-*-* 04:30:00 UTC")).returncode == 0
    assert [call for call in sandbox.calls() if call.startswith(STATE_CHANGING)] == [
        "systemctl daemon-reload",
        "systemctl restart hetzner-coolify-backup.timer",
    ]


@pytest.mark.parametrize("missing", ["BACKUP_S3_SECRET_ACCESS_KEY", "BACKUP_TIMER"])
def test_missing_inputs_change_nothing(sandbox: Sandbox, missing: str) -> None:
    given = inputs()
    del given[missing]
    result = sandbox.run("install-backup.sh", given)
    assert result.returncode == 1
    assert f"error: {missing} is not set" in result.stderr
    assert sandbox.calls() == []


def test_credentials_arrive_byte_for_byte_and_the_earlier_file_goes(sandbox: Sandbox) -> None:
    earlier = sandbox.root / "etc/hetzner-coolify/backup-credentials.env"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("BACKUP_S3_ACCESS_KEY_ID=old\n")
    awkward = {
        "BACKUP_S3_ACCESS_KEY_ID": ' id with "quotes" ',
        "BACKUP_S3_SECRET_ACCESS_KEY": "back\\slash $HOME `x` 'y'",
    }
    assert sandbox.run("install-backup.sh", {**inputs(), **awkward}).returncode == 0
    credentials = sandbox.root / "etc/hetzner-coolify/credentials"
    assert (credentials / "s3-access-key-id").read_text() == awkward["BACKUP_S3_ACCESS_KEY_ID"]
    assert (credentials / "s3-secret-access-key").read_text() == awkward["BACKUP_S3_SECRET_ACCESS_KEY"]
    assert not earlier.exists()
