"""backup.sh and restore-backup.sh against a real PostgreSQL, a real S3-compatible server, real age keys and
real OpenSSH signing keys.

The attacks of the security review (issue 18) run here as they were shown: a set planted with the bucket's keys
and the public age recipient, future-dated sets against retention, a restore that fails midway, folders the
job did not make, the database password on a command line, world-readable restored files.
"""

import hashlib
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
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
    SigningKey,
    postgres_server,
    signing_key,
)

PREFIX = "hetzner-coolify-staging"
COOLIFY_ENV = "APP_KEY=base64:c2VjcmV0LWFwcC1rZXktZm9yLXRlc3Rz\nDB_PASSWORD=coolify-db-password\n"
# As backup.sh signs a set (ssh-keygen -Y sign with this namespace, over the set's name and its MANIFEST).
NAMESPACE = "backup-set@hetzner-coolify"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        run_sql(server, "app", SAMPLE_DATA)
        createdb(server, "coolify")
        run_sql(server, "coolify", "create table settings (key text primary key, value text);"
                                   "insert into settings values ('fqdn', 'https://coolify.example.com');")  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def intruder(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    """Someone else's key: what an attacker with the bucket's keys can sign with."""
    return signing_key(tmp_path_factory.mktemp("intruder"))


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


def restore_env(s3: S3Server, prefix: str, keys: AgeKeys, signing: SigningKey) -> dict[str, str]:
    """What the runbook exports on an operator's machine: the bucket, the age identity, the signing key output."""
    return {
        **bucket_env(s3, prefix),
        "AGE_IDENTITY_FILE": str(keys.identity_file),
        "BACKUP_SIGNING_KEY": signing.public,
    }


def script(
    name: str, *arguments: str, env: dict[str, str], path_prefix: str = "", umask: int | None = None
) -> subprocess.CompletedProcess[str]:
    path = f"{path_prefix}{POSTGRES_BIN}:{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(SCRIPTS_DIR / name), *arguments], capture_output=True, text=True, check=False,
        env={"PATH": path, "HOME": os.environ.get("HOME", "/root"), **env},
        preexec_fn=None if umask is None else lambda: os.umask(umask),
    )  # fmt: skip


def password_file(server: Postgres, directory: Path) -> dict[str, str]:
    """The runbook's way to hand libpq the password: a 0600 password file named by PGPASSFILE."""
    path = directory / "pgpass"
    path.write_text(f"127.0.0.1:{server.port}:*:{server.user}:{server.password}\n")
    path.chmod(0o600)
    return {"PGPASSFILE": str(path)}


def target_url(server: Postgres, database: str) -> str:
    return f"postgresql://{server.user}@127.0.0.1:{server.port}/{database}"


def set_name(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H%M%SZ")


def sign(key: SigningKey, message: bytes) -> bytes:
    signed = subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(key.private_file), "-n", NAMESPACE],
                            input=message, capture_output=True, check=True)  # fmt: skip
    return signed.stdout


def plant_set(s3: S3Server, prefix: str, name: str, files: dict[str, bytes], *, signer: SigningKey | None) -> None:
    """A set as whoever holds the bucket's keys can write one: files, their MANIFEST and, with a key, its signature
    (made as backup.sh makes it: over the set's name and its MANIFEST)."""
    client = s3.client()
    manifest = "".join(f"{hashlib.sha256(body).hexdigest()}  {file}\n" for file, body in sorted(files.items()))
    for file, body in files.items():
        client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{name}/{file}", Body=body)
    if signer is not None:
        message = f"hetzner-coolify backup set {prefix}/{name}\n{manifest}".encode()
        client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{name}/MANIFEST.sig", Body=sign(signer, message))
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{name}/MANIFEST", Body=manifest.encode())


def sets_in(s3: S3Server, prefix: str) -> set[str]:
    return {key.split("/")[1] for key in s3.keys(f"{prefix}/")}


def normalized_dump(server: Postgres, database: str) -> str:
    """The whole database as SQL, without pg_dump's per-run \\restrict key: equal text, equal database."""
    dumped = subprocess.run([str(POSTGRES_BIN / "pg_dump"), "-U", server.user, "-d", database], capture_output=True,
                            text=True, check=True, env={"PATH": os.environ["PATH"], **pg_env(server)})  # fmt: skip
    kept = (line for line in dumped.stdout.splitlines(True) if not line.startswith(("\\restrict", "\\unrestrict")))
    return "".join(kept)


@pytest.fixture
def backup_env(postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, tmp_path: Path) -> dict[str, str]:
    coolify = tmp_path / "coolify-source"
    coolify.mkdir()
    (coolify / ".env").write_text(COOLIFY_ENV)
    prefix = f"{PREFIX}-{tmp_path.name}"
    return {
        **bucket_env(s3, prefix), **pg_env(postgres),
        "BACKUP_AGE_RECIPIENT": keys.recipient, "BACKUP_PG_DUMP": "local",
        "BACKUP_SIGNING_KEY_FILE": str(signing.private_file),
        "POSTGRES_USER": postgres.user, "POSTGRES_DB": postgres.database,
        "COOLIFY_SOURCE_DIR": str(coolify), "COOLIFY_DB_USER": postgres.user, "COOLIFY_DB_NAME": "coolify",
    }  # fmt: skip


def test_backup_then_restore_gives_back_every_row(
    *,
    postgres: Postgres,
    s3: S3Server,
    keys: AgeKeys,
    signing: SigningKey,
    backup_env: dict[str, str],
    ping: PingRecorder,
    tmp_path: Path,
) -> None:
    result = script("backup.sh", "run", env={**backup_env, "BACKUP_PING_URL": ping.url})
    assert result.returncode == 0, result.stderr
    prefix = backup_env["BACKUP_PREFIX"]
    objects = s3.keys(prefix)
    (stamp,) = {key.split("/")[1] for key in objects}
    assert [key.split("/", 2)[2] for key in objects] == [
        "MANIFEST",
        "MANIFEST.sig",
        "app.dump.age",
        "app.row-counts.tsv.age",
        "coolify-db.dump.age",
        "coolify.env.age",
    ]
    stored = s3.client().get_object(Bucket=s3.bucket, Key=f"{prefix}/{stamp}/coolify.env.age")["Body"].read()
    assert stored.startswith(b"age-encryption.org/v1") and b"APP_KEY" not in stored
    assert ping.paths == ["/ping"]

    createdb(postgres, "restored")
    restored = script("restore-backup.sh", "restore", "latest", target_url(postgres, "restored"),
                      env={**restore_env(s3, prefix, keys, signing), **password_file(postgres, tmp_path)})  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    # It names what it is about to overwrite, as the server reports it.
    assert f"restoring {stamp} into database restored on 127.0.0.1:{postgres.port} as app\n" in restored.stderr
    for table in ("customers", "orders"):
        query = f"select * from {table} order by id"
        original = run_sql(postgres, "app", query)
        assert original.count("\n") in (501, 2000)
        assert run_sql(postgres, "restored", query) == original

    fetched_dir = Path(backup_env["COOLIFY_SOURCE_DIR"]).parent / "fetched"
    fetched = script("restore-backup.sh", "fetch", stamp, str(fetched_dir),
                     env=restore_env(s3, prefix, keys, signing))  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    assert (fetched_dir / "coolify.env").read_text() == COOLIFY_ENV
    coolify_db = subprocess.run(
        [str(POSTGRES_BIN / "pg_restore"), "--data-only", "-f", "-", str(fetched_dir / "coolify-db.dump")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "https://coolify.example.com" in coolify_db.stdout


def test_a_damaged_object_is_detected_at_restore(
    s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    key = next(key for key in s3.keys(prefix) if key.endswith("app.dump.age"))
    body = bytearray(s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3.client().put_object(Bucket=s3.bucket, Key=key, Body=bytes(body))
    result = script("restore-backup.sh", "fetch", "latest", str(tmp_path / "out"),
                    env=restore_env(s3, prefix, keys, signing))  # fmt: skip
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


def test_retention_over_120_days_keeps_exactly_7_daily_4_weekly_3_monthly(
    s3: S3Server, signing: SigningKey, tmp_path: Path
) -> None:
    prefix = f"{PREFIX}-retention"
    client = s3.client()
    for offset in range(120):
        plant_set(
            s3, prefix, f"{CALENDAR_END - timedelta(days=offset)}T020000Z", {"app.dump.age": b"x"}, signer=signing
        )
    # An interrupted run long ago, and one that may still be running: only the old one goes.
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/2026-08-10T031500Z/app.dump.age", Body=b"x")
    recent = (date.today() + timedelta(days=1)).isoformat()
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{recent}T000000Z/app.dump.age", Body=b"x")

    env = {**bucket_env(s3, prefix), "BACKUP_KEEP_DAILY": "7", "BACKUP_KEEP_WEEKLY": "4", "BACKUP_KEEP_MONTHLY": "3",
           "BACKUP_SIGNING_KEY_FILE": str(signing.private_file)}  # fmt: skip
    result = script("backup.sh", "prune", env=env)
    assert result.returncode == 0, result.stderr
    complete = sorted({key.split("/")[1][:10] for key in s3.keys(prefix) if key.endswith("/MANIFEST")}, reverse=True)
    assert sorted(complete, reverse=True) == sorted(EXPECTED_KEPT, reverse=True)
    assert len(complete) == 7 + 4 + 3
    remaining = {key.split("/")[1] for key in s3.keys(prefix)}
    assert f"{recent}T000000Z" in remaining and "2026-08-10T031500Z" not in remaining
    again = script("backup.sh", "prune", env=env)
    assert again.returncode == 0 and "deleted" not in again.stderr


# M4: a set anyone with the bucket's keys and the public age recipient can write.


@pytest.fixture(scope="module")
def attacker_dump(postgres: Postgres) -> bytes:
    """A valid custom-format dump of another database: what a planted set would restore."""
    createdb(postgres, "attacker")
    run_sql(postgres, "attacker", "create table planted (note text); insert into planted values ('planted');")
    dumped = subprocess.run([str(POSTGRES_BIN / "pg_dump"), "--format=custom", "-U", postgres.user, "attacker"],
                            capture_output=True, check=True,
                            env={"PATH": os.environ["PATH"], **pg_env(postgres)})  # fmt: skip
    return dumped.stdout


def age_encrypt(recipient: str, body: bytes) -> bytes:
    encrypted = subprocess.run(["age", "--encrypt", "--recipient", recipient], input=body, capture_output=True,
                               check=True)  # fmt: skip
    return encrypted.stdout


@pytest.mark.parametrize("signer", ["unsigned", "intruder"])
def test_a_planted_set_is_refused_and_latest_still_restores_the_genuine_one(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, intruder: SigningKey,
    attacker_dump: bytes, backup_env: dict[str, str], tmp_path: Path, signer: str,
) -> None:  # fmt: skip
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    (genuine,) = sets_in(s3, prefix)
    # Newer than the genuine set, valid age encryption and checksums: all `restore latest` used to look at.
    planted = set_name(datetime.now(UTC) + timedelta(hours=1))
    files = {"app.dump.age": age_encrypt(keys.recipient, attacker_dump),
             "coolify.env.age": age_encrypt(keys.recipient, b"APP_KEY=base64:planted\n")}  # fmt: skip
    plant_set(s3, prefix, planted, files, signer=intruder if signer == "intruder" else None)
    env = {**restore_env(s3, prefix, keys, signing), **password_file(postgres, tmp_path)}

    listed = script("restore-backup.sh", "list", env=env)
    assert (listed.returncode, listed.stdout) == (0, f"{genuine}\n"), listed.stderr
    assert f"ignoring set {planted}: its MANIFEST is not signed by the backup signing key" in listed.stderr
    fetched = script("restore-backup.sh", "fetch", planted, str(tmp_path / "fetched"), env=env)
    assert fetched.returncode == 1
    assert f"backup {planted} is not signed by BACKUP_SIGNING_KEY: planted or tampered with" in fetched.stderr
    assert not (tmp_path / "fetched").exists()

    database = f"restored_{signer}"
    createdb(postgres, database)
    refused = script("restore-backup.sh", "restore", planted, target_url(postgres, database), env=env)
    assert refused.returncode == 1 and f"backup {planted} is not signed" in refused.stderr
    restored = script("restore-backup.sh", "restore", "latest", target_url(postgres, database), env=env)
    assert restored.returncode == 0, restored.stderr
    assert f"restoring {genuine} into database {database}" in restored.stderr
    assert run_sql(postgres, database, "select to_regclass('planted') is null, count(*) from customers") == "t|501\n"


def test_a_genuine_set_copied_under_a_newer_name_is_refused(
    s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    (genuine,) = sets_in(s3, prefix)
    replayed = set_name(datetime.now(UTC) + timedelta(days=1))
    client = s3.client()
    for key in s3.keys(f"{prefix}/{genuine}/"):
        copy = key.replace(f"/{genuine}/", f"/{replayed}/")
        client.copy_object(Bucket=s3.bucket, Key=copy, CopySource={"Bucket": s3.bucket, "Key": key})
    env = restore_env(s3, prefix, keys, signing)
    fetched = script("restore-backup.sh", "fetch", replayed, str(tmp_path / "replayed"), env=env)
    assert fetched.returncode == 1 and f"backup {replayed} is not signed by BACKUP_SIGNING_KEY" in fetched.stderr
    latest = script("restore-backup.sh", "fetch", "latest", str(tmp_path / "latest"), env=env)
    assert latest.returncode == 0 and f"fetched {genuine} into" in latest.stderr


# M5: retention ranked sets by name alone.


def test_future_dated_sets_cannot_evict_the_backups_of_the_last_days(
    s3: S3Server, signing: SigningKey, backup_env: dict[str, str]
) -> None:
    prefix = backup_env["BACKUP_PREFIX"]
    now = datetime.now(UTC)
    history = {set_name(now - timedelta(days=days)) for days in range(1, 7)}
    # Signed with the server's own key (a clock that once ran ahead, or a stolen key), on more days, weeks and months
    # than the rules keep: by name, they would take every slot.
    future = {f"2099-12-{day:02d}T020000Z" for day in range(1, 32)} | {f"2099-{m:02d}-15T020000Z" for m in range(1, 12)}
    for name in history | future:
        plant_set(s3, prefix, name, {"app.dump.age": b"x"}, signer=signing)
    result = script("backup.sh", "run", env=backup_env)
    assert result.returncode == 0, result.stderr
    (made,) = sets_in(s3, prefix) - history - future
    assert sets_in(s3, prefix) == history | future | {made}
    assert f"warning: ignoring {len(future)} future-dated sets" in result.stderr


def test_the_set_just_made_is_never_deleted(s3: S3Server, signing: SigningKey, backup_env: dict[str, str]) -> None:
    prefix = backup_env["BACKUP_PREFIX"]
    # Within the clock-skew allowance, so it counts, and newer: the one daily slot is its.
    newer = set_name(datetime.now(UTC) + timedelta(minutes=5))
    plant_set(s3, prefix, newer, {"app.dump.age": b"x"}, signer=signing)
    env = {**backup_env, "BACKUP_KEEP_DAILY": "1", "BACKUP_KEEP_WEEKLY": "0", "BACKUP_KEEP_MONTHLY": "0"}
    result = script("backup.sh", "run", env=env)
    assert result.returncode == 0, result.stderr
    (made,) = sets_in(s3, prefix) - {newer}
    assert f"{made}=current" in result.stderr


# M6: the bucket refuses deletes of what is younger than its lock; pruning must never ask for one.


def test_sets_younger_than_the_bucket_lock_are_held_not_deleted(s3: S3Server, signing: SigningKey) -> None:
    prefix = f"{PREFIX}-locked"
    now = datetime.now(UTC)
    newest, young, old = (set_name(now - timedelta(days=days, hours=1)) for days in (0, 3, 10))
    for name in (newest, young, old):
        plant_set(s3, prefix, name, {"app.dump.age": b"x"}, signer=signing)
    # Interrupted runs: the young one is still locked, the old one is not.
    young_incomplete, old_incomplete = (set_name(now - timedelta(days=days, hours=2)) for days in (3, 9))
    for name in (young_incomplete, old_incomplete):
        s3.client().put_object(Bucket=s3.bucket, Key=f"{prefix}/{name}/app.dump.age", Body=b"x")
    env = {**bucket_env(s3, prefix), "BACKUP_SIGNING_KEY_FILE": str(signing.private_file), "BACKUP_LOCK_DAYS": "7",
           "BACKUP_KEEP_DAILY": "1", "BACKUP_KEEP_WEEKLY": "0", "BACKUP_KEEP_MONTHLY": "0"}  # fmt: skip
    result = script("backup.sh", "prune", env=env)
    assert result.returncode == 0, result.stderr
    assert sets_in(s3, prefix) == {newest, young, young_incomplete}
    assert f"held 1 sets until the bucket lock (7 days) lets them go: {young}" in result.stderr
    again = script("backup.sh", "prune", env=env)
    assert again.returncode == 0 and "deleted" not in again.stderr


# Low: prune deleted any folder whose name sorted before its cut-off.


def test_prune_deletes_only_sets_it_named_under_its_own_prefix(s3: S3Server, signing: SigningKey) -> None:
    prefix = f"{PREFIX}-foreign"
    client = s3.client()
    kept = [f"{prefix}/2020-archive/notes.txt", f"{prefix}/2020-01-01T000000Z.bak/app.dump.age",
            f"{prefix}/nested/2020-01-01T000000Z/app.dump.age", f"{prefix}-sibling/2020-01-01T000000Z/app.dump.age",
            # Complete, not signed by this host's key (planted, or an earlier server's): never counted nor deleted.
            f"{prefix}/2020-02-01T000000Z/MANIFEST"]  # fmt: skip
    stale = f"{prefix}/2020-01-01T000000Z/app.dump.age"
    for key in [*kept, stale]:
        client.put_object(Bucket=s3.bucket, Key=key, Body=b"x")
    env = {**bucket_env(s3, prefix), "BACKUP_SIGNING_KEY_FILE": str(signing.private_file)}
    result = script("backup.sh", "prune", env=env)
    assert result.returncode == 0, result.stderr
    assert s3.keys(prefix) == sorted(kept)
    assert "ignoring set 2020-02-01T000000Z: its MANIFEST is not signed by the backup signing key" in result.stderr


# M7: pg_restore --clean outside a transaction, into whatever database it was given.


def test_a_restore_that_fails_midway_leaves_the_target_as_it_was(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    createdb(postgres, "half_dropped")
    # A view the dump knows nothing of: DROP TABLE orders fails, after the drops that come before it.
    run_sql(postgres, "half_dropped", f"{SAMPLE_DATA} create view big_orders as select * from orders where total > 100;"
                                      "insert into customers (name) values ('only in the target');")  # fmt: skip
    before = normalized_dump(postgres, "half_dropped")
    env = {**restore_env(s3, backup_env["BACKUP_PREFIX"], keys, signing), **password_file(postgres, tmp_path)}
    result = script("restore-backup.sh", "restore", "--force", "latest", target_url(postgres, "half_dropped"), env=env)
    assert result.returncode != 0
    assert "cannot drop table public.orders because other objects depend on it" in result.stderr
    assert "into database half_dropped on 127.0.0.1" in result.stderr and ", replacing its " in result.stderr
    assert normalized_dump(postgres, "half_dropped") == before


def test_a_non_empty_target_is_refused_without_force(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    createdb(postgres, "in_use")
    run_sql(postgres, "in_use", "create table invoices (id int primary key); insert into invoices values (1);")
    before = normalized_dump(postgres, "in_use")
    env = {**restore_env(s3, backup_env["BACKUP_PREFIX"], keys, signing), **password_file(postgres, tmp_path)}
    result = script("restore-backup.sh", "restore", "latest", target_url(postgres, "in_use"), env=env)
    assert result.returncode == 1
    # The table and its primary key's index.
    refusal = (
        f"the target, database in_use on 127.0.0.1:{postgres.port} as app, is not empty (it holds 2 tables, "
        "indexes, sequences, views, functions or schemas): restore refuses to overwrite it without --force"
    )
    assert refusal in result.stderr
    assert normalized_dump(postgres, "in_use") == before


# Lows: restored files world-readable, the password on a command line.


def test_fetched_files_are_for_the_operator_alone(
    s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    out = tmp_path / "fetched"
    result = script("restore-backup.sh", "fetch", "latest", str(out),
                    env=restore_env(s3, backup_env["BACKUP_PREFIX"], keys, signing), umask=0o022)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in out.iterdir()}
    assert modes == {"app.dump": "0o600", "app.row-counts.tsv": "0o600", "coolify.env": "0o600",
                     "coolify-db.dump": "0o600"}  # fmt: skip


def recording_clients(directory: Path) -> tuple[str, Path]:
    """psql and pg_restore that write down their command line (one line each, shell-quoted) and run the real ones."""
    directory.mkdir()
    log = directory / "argv.log"
    log.touch()
    for name in ("psql", "pg_restore"):
        wrapper = directory / name
        wrapper.write_text(
            f'#!/usr/bin/env bash\n{{ printf {name}; printf " %q" "$@"; echo; }} >>"{log}"\n'
            f'exec "{POSTGRES_BIN / name}" "$@"\n'
        )
        wrapper.chmod(0o755)
    return f"{directory}:", log


def test_the_password_never_reaches_a_command_line(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    createdb(postgres, "argv_checked")
    shims, log = recording_clients(tmp_path / "bin")
    env = {**restore_env(s3, backup_env["BACKUP_PREFIX"], keys, signing), **password_file(postgres, tmp_path)}
    result = script("restore-backup.sh", "restore", "latest", target_url(postgres, "argv_checked"), env=env,
                    path_prefix=shims)  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert [call.split()[0] for call in calls] == ["psql", "psql", "pg_restore"]
    assert not any(postgres.password in call for call in calls)
    assert calls[-1].startswith("pg_restore --single-transaction --exit-on-error ")


def test_a_target_with_a_password_is_refused_before_anything_runs(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    createdb(postgres, "password_refused")
    shims, log = recording_clients(tmp_path / "bin")
    target = f"postgresql://{postgres.user}:{postgres.password}@127.0.0.1:{postgres.port}/password_refused"
    env = restore_env(s3, backup_env["BACKUP_PREFIX"], keys, signing)
    result = script("restore-backup.sh", "restore", "latest", target, env=env, path_prefix=shims)
    assert result.returncode == 1
    assert "the restore target holds a password, which would be visible in the process list" in result.stderr
    assert postgres.password not in result.stderr
    assert log.read_text() == ""
