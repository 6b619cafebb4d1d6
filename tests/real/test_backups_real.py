"""backup.sh and restore-backup.sh against a real PostgreSQL, a real S3-compatible server and real age keys."""

import os
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.components.scripts.conftest import SCRIPTS_DIR
from tests.real.servers import (
    POSTGRES_BIN,
    SAMPLE_DATA,
    AgeKeys,
    PingRecorder,
    Postgres,
    S3Server,
    age_keys,
    postgres_server,
    s3_server,
)

PREFIX = "hetzner-coolify-staging"
COOLIFY_ENV = "APP_KEY=base64:c2VjcmV0LWFwcC1rZXktZm9yLXRlc3Rz\nDB_PASSWORD=coolify-db-password\n"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        run_sql(server, "app", SAMPLE_DATA)
        createdb(server, "coolify")
        run_sql(server, "coolify", "create table settings (key text primary key, value text);"
                                   "insert into settings values ('fqdn', 'https://coolify.example.com');")  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> AgeKeys:
    return age_keys(tmp_path_factory.mktemp("age"))


@pytest.fixture
def ping() -> Iterator[PingRecorder]:
    recorder = PingRecorder()
    yield recorder
    recorder.close()


def pg_env(server: Postgres) -> dict[str, str]:
    return {"PGHOST": "127.0.0.1", "PGPORT": str(server.port), "PGPASSWORD": server.password}


def run_sql(server: Postgres, database: str, sql: str) -> str:
    result = subprocess.run(
        [str(POSTGRES_BIN / "psql"), "-XAtq", "-v", "ON_ERROR_STOP=1", "-U", server.user, "-d", database, "-c", sql],
        capture_output=True, text=True, check=True, env={"PATH": os.environ["PATH"], **pg_env(server)},
    )  # fmt: skip
    return result.stdout


def createdb(server: Postgres, name: str) -> None:
    subprocess.run([str(POSTGRES_BIN / "createdb"), "-U", server.user, name], check=True,
                   env={"PATH": os.environ["PATH"], **pg_env(server)})  # fmt: skip


def bucket_env(s3: S3Server, prefix: str = PREFIX) -> dict[str, str]:
    return {
        "BACKUP_S3_ENDPOINT": s3.endpoint, "BACKUP_S3_BUCKET": s3.bucket, "BACKUP_S3_REGION": "us-east-1",
        "BACKUP_S3_PROVIDER": "Other", "BACKUP_S3_ACCESS_KEY_ID": "test", "BACKUP_S3_SECRET_ACCESS_KEY": "test",
        "BACKUP_PREFIX": prefix,
        # Fail fast in tests; production keeps rclone's retries.
        "RCLONE_RETRIES": "1", "RCLONE_LOW_LEVEL_RETRIES": "1",
    }  # fmt: skip


def script(name: str, *arguments: str, env: dict[str, str], path_prefix: str = "") -> subprocess.CompletedProcess[str]:
    path = f"{path_prefix}{POSTGRES_BIN}:{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(SCRIPTS_DIR / name), *arguments], capture_output=True, text=True, check=False,
        env={"PATH": path, "HOME": os.environ.get("HOME", "/root"), **env},
    )  # fmt: skip


@pytest.fixture
def backup_env(postgres: Postgres, s3: S3Server, keys: AgeKeys, tmp_path: Path) -> dict[str, str]:
    coolify = tmp_path / "coolify-source"
    coolify.mkdir()
    (coolify / ".env").write_text(COOLIFY_ENV)
    prefix = f"{PREFIX}-{tmp_path.name}"
    return {
        **bucket_env(s3, prefix), **pg_env(postgres),
        "BACKUP_AGE_RECIPIENT": keys.recipient, "BACKUP_PG_DUMP": "local",
        "POSTGRES_USER": postgres.user, "POSTGRES_DB": postgres.database,
        "COOLIFY_SOURCE_DIR": str(coolify), "COOLIFY_DB_USER": postgres.user, "COOLIFY_DB_NAME": "coolify",
    }  # fmt: skip


def test_backup_then_restore_gives_back_every_row(
    postgres: Postgres, s3: S3Server, keys: AgeKeys, backup_env: dict[str, str], ping: PingRecorder
) -> None:
    result = script("backup.sh", "run", env={**backup_env, "BACKUP_PING_URL": ping.url})
    assert result.returncode == 0, result.stderr
    prefix = backup_env["BACKUP_PREFIX"]
    objects = s3.keys(prefix)
    (stamp,) = {key.split("/")[1] for key in objects}
    assert [key.split("/", 2)[2] for key in objects] == [
        "MANIFEST",
        "app.dump.age",
        "coolify-db.dump.age",
        "coolify.env.age",
    ]
    stored = s3.client().get_object(Bucket=s3.bucket, Key=f"{prefix}/{stamp}/coolify.env.age")["Body"].read()
    assert stored.startswith(b"age-encryption.org/v1") and b"APP_KEY" not in stored
    assert ping.paths == ["/ping"]

    createdb(postgres, "restored")
    target = f"postgresql://{postgres.user}:{postgres.password}@127.0.0.1:{postgres.port}/restored"
    restored = script("restore-backup.sh", "restore", "latest", target,
                      env={**bucket_env(s3, prefix), "AGE_IDENTITY_FILE": str(keys.identity_file)})  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    for table in ("customers", "orders"):
        query = f"select * from {table} order by id"
        original = run_sql(postgres, "app", query)
        assert original.count("\n") in (501, 2000)
        assert run_sql(postgres, "restored", query) == original

    fetched_dir = Path(backup_env["COOLIFY_SOURCE_DIR"]).parent / "fetched"
    fetched = script("restore-backup.sh", "fetch", stamp, str(fetched_dir),
                     env={**bucket_env(s3, prefix), "AGE_IDENTITY_FILE": str(keys.identity_file)})  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    assert (fetched_dir / "coolify.env").read_text() == COOLIFY_ENV
    coolify_db = subprocess.run(
        [str(POSTGRES_BIN / "pg_restore"), "--data-only", "-f", "-", str(fetched_dir / "coolify-db.dump")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "https://coolify.example.com" in coolify_db.stdout


def test_a_damaged_object_is_detected_at_restore(
    s3: S3Server, keys: AgeKeys, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    key = next(key for key in s3.keys(prefix) if key.endswith("app.dump.age"))
    body = bytearray(s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3.client().put_object(Bucket=s3.bucket, Key=key, Body=bytes(body))
    result = script("restore-backup.sh", "fetch", "latest", str(tmp_path / "out"),
                    env={**bucket_env(s3, prefix), "AGE_IDENTITY_FILE": str(keys.identity_file)})  # fmt: skip
    assert result.returncode == 1
    assert "does not match its MANIFEST: damaged or tampered with" in result.stderr
    assert not (tmp_path / "out" / "app.dump").exists()


def test_a_truncated_upload_fails_the_run_and_never_looks_complete(
    s3: S3Server, backup_env: dict[str, str], tmp_path: Path, ping: PingRecorder
) -> None:
    shim = tmp_path / "bin"
    shim.mkdir()
    real_rclone = subprocess.run(["which", "rclone"], capture_output=True, text=True, check=True).stdout.strip()
    # Lets `rclone copy` arrive short: after the real upload, the first object is cut to 100 bytes.
    (shim / "rclone").write_text(
        f'#!/usr/bin/env bash\n"{real_rclone}" "$@" || exit\n'
        f'if [[ $1 == copy ]]; then f=$(ls "$2" | head -n 1); head -c 100 "$2/$f" | "{real_rclone}" rcat "$3/$f"; fi\n'
    )
    (shim / "rclone").chmod(0o755)
    result = script("backup.sh", "run", env={**backup_env, "BACKUP_PING_URL": ping.url}, path_prefix=f"{shim}:")
    assert result.returncode == 1
    assert "does not match what was sent" in result.stderr
    prefix = backup_env["BACKUP_PREFIX"]
    assert s3.keys(prefix) and not any(key.endswith("/MANIFEST") for key in s3.keys(prefix))
    assert ping.paths == ["/ping/fail"]
    listed = script("backup.sh", "list", env=backup_env)
    assert listed.returncode == 0 and listed.stdout == ""


def test_an_unreachable_bucket_fails_loudly(backup_env: dict[str, str], ping: PingRecorder) -> None:
    env = {**backup_env, "BACKUP_S3_ENDPOINT": "http://127.0.0.1:1", "BACKUP_PING_URL": ping.url}
    result = script("backup.sh", "run", env=env)
    assert result.returncode != 0
    assert "connection refused" in result.stderr.lower()
    assert ping.paths == ["/ping/fail"]


def test_a_database_that_cannot_be_dumped_fails_the_run(backup_env: dict[str, str], s3: S3Server) -> None:
    result = script("backup.sh", "run", env={**backup_env, "POSTGRES_DB": "missing"})
    assert result.returncode != 0
    assert 'database "missing" does not exist' in result.stderr
    assert s3.keys(backup_env["BACKUP_PREFIX"]) == []


CALENDAR_END = date(2026, 11, 24)
# Daily backups for 120 days, 2026-07-28 .. 2026-11-24. Kept: the newest of each of the last 7 days;
# then, weeks (ISO, Monday first) whose newest backup is not kept yet: W46 (Sun 15 Nov), W45 (8 Nov),
# W44 (1 Nov), W43 (25 Oct); then months likewise: October (31st), September (30th), August (31st).
EXPECTED_KEPT = [
    "2026-11-24", "2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20", "2026-11-19", "2026-11-18",
    "2026-11-15", "2026-11-08", "2026-11-01", "2026-10-25",
    "2026-10-31", "2026-09-30", "2026-08-31",
]  # fmt: skip


def test_retention_over_120_days_keeps_exactly_7_daily_4_weekly_3_monthly(s3: S3Server, tmp_path: Path) -> None:
    prefix = f"{PREFIX}-retention"
    client = s3.client()
    for offset in range(120):
        stamp = f"{CALENDAR_END - timedelta(days=offset)}T020000Z"
        client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{stamp}/app.dump.age", Body=b"x")
        client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{stamp}/MANIFEST", Body=b"y")
    # An interrupted run long ago, and one that may still be running: only the old one goes.
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/2026-08-10T031500Z/app.dump.age", Body=b"x")
    recent = (date.today() + timedelta(days=1)).isoformat()
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{recent}T000000Z/app.dump.age", Body=b"x")

    env = {**bucket_env(s3, prefix), "BACKUP_KEEP_DAILY": "7", "BACKUP_KEEP_WEEKLY": "4", "BACKUP_KEEP_MONTHLY": "3"}
    result = script("backup.sh", "prune", env=env)
    assert result.returncode == 0, result.stderr
    complete = sorted({key.split("/")[1][:10] for key in s3.keys(prefix) if key.endswith("/MANIFEST")}, reverse=True)
    assert sorted(complete, reverse=True) == sorted(EXPECTED_KEPT, reverse=True)
    assert len(complete) == 7 + 4 + 3
    remaining = {key.split("/")[1] for key in s3.keys(prefix)}
    assert f"{recent}T000000Z" in remaining and "2026-08-10T031500Z" not in remaining
    again = script("backup.sh", "prune", env=env)
    assert again.returncode == 0 and "deleted" not in again.stderr
