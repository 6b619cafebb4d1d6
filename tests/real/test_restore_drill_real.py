"""The row counts backup.sh records at dump time and restore-drill.sh against a real PostgreSQL, a real
S3-compatible server, real age keys and real OpenSSH signing keys.

The drill's database side runs here against this machine's PostgreSQL through DRILL_DATABASE_COMMAND (a command
prefix in place of `ssh ... sudo docker exec -i app-postgres`); the SSH path and the container run on the
real-server tier (tests/server/test_restore_drill.py).
"""

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.real.servers import (
    POSTGRES_BIN,
    SAMPLE_DATA,
    AgeKeys,
    Postgres,
    S3Server,
    SigningKey,
    postgres_server,
)
from tests.real.test_backups_real import (
    COOLIFY_ENV,
    PREFIX,
    age_encrypt,
    bucket_env,
    password_file,
    pg_env,
    plant_set,
    restore_env,
    run_sql,
    script,
    sets_in,
)

DRILL_DATABASES = "select count(*) from pg_database where datname like 'restore\\_drill\\_%'"


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        run_sql(server, "app", f'{SAMPLE_DATA} create schema "Reporting"; create table "Reporting"."Daily Totals" '
                               "(day date); insert into \"Reporting\".\"Daily Totals\" values ('2026-12-01');"
                               "create table empty_table (id int);")  # fmt: skip
        yield server


@pytest.fixture
def backup_env(postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, tmp_path: Path) -> dict[str, str]:
    coolify = tmp_path / "coolify-source"
    coolify.mkdir()
    (coolify / ".env").write_text(COOLIFY_ENV)
    return {
        **bucket_env(s3, f"{PREFIX}-{tmp_path.name}"), **pg_env(postgres),
        "BACKUP_AGE_RECIPIENT": keys.recipient, "BACKUP_PG_DUMP": "local",
        "BACKUP_SIGNING_KEY_FILE": str(signing.private_file),
        "POSTGRES_USER": postgres.user, "POSTGRES_DB": postgres.database,
        "COOLIFY_SOURCE_DIR": str(coolify), "COOLIFY_DB_CONTAINER": "",
    }  # fmt: skip


def drill_env(
    *, postgres: Postgres, s3: S3Server, prefix: str, keys: AgeKeys, signing: SigningKey, tmp_path: Path
) -> dict[str, str]:
    """The operator's settings, the database side a local PostgreSQL as its superuser (the cluster's is `app`)."""
    return {
        **restore_env(s3, prefix, keys, signing), **password_file(postgres, tmp_path),
        "DRILL_DATABASE_COMMAND": f"env PGHOST=127.0.0.1 PGPORT={postgres.port} PGUSER={postgres.user}",
        "TMPDIR": str(tmp_path / "operator-tmp"),
    }  # fmt: skip


def operator_tmp(tmp_path: Path) -> Path:
    directory = tmp_path / "operator-tmp"
    directory.mkdir(exist_ok=True)
    return directory


def recorded_counts(s3: S3Server, prefix: str, keys: AgeKeys, signing: SigningKey, tmp_path: Path) -> str:
    fetched = tmp_path / "fetched"
    result = script("restore-backup.sh", "fetch", "latest", str(fetched), env=restore_env(s3, prefix, keys, signing))
    assert result.returncode == 0, result.stderr
    return (fetched / "app.row-counts.tsv").read_text()


def table_counts(postgres: Postgres) -> str:
    tables = ('"Reporting"."Daily Totals"', "public.customers", "public.empty_table", "public.orders")
    return "".join(f"{table}\t{run_sql(postgres, 'app', f'select count(*) from {table}')}" for table in tables)


def test_the_counts_recorded_at_dump_time_are_the_tables_counts(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    result = script("backup.sh", "run", env=backup_env)
    assert result.returncode == 0, result.stderr
    prefix = backup_env["BACKUP_PREFIX"]
    (stamp,) = sets_in(s3, prefix)
    assert f"{prefix}/{stamp}/app.row-counts.tsv.age" in s3.keys(prefix)
    counts = recorded_counts(s3, prefix, keys, signing, tmp_path)
    assert counts == table_counts(postgres)
    assert counts.splitlines()[1:] == ["public.customers\t501", "public.empty_table\t0", "public.orders\t2000"]


def test_a_table_an_extension_owns_is_left_to_the_extension_by_the_counts_as_by_the_dump(
    *, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    """pg_dump leaves an extension's own tables to CREATE EXTENSION; a count of one would fail every drill."""
    with postgres_server() as postgres:
        run_sql(postgres, "app", "create extension hstore; create table extension_owned (id int); insert into "
                                 "extension_owned values (1), (2); alter extension hstore add table extension_owned; "
                                 "create table kept (id int); insert into kept values (7);")  # fmt: skip
        environment = {**backup_env, **pg_env(postgres), "BACKUP_PREFIX": f"{backup_env['BACKUP_PREFIX']}-extension"}
        result = script("backup.sh", "run", env=environment)
        assert result.returncode == 0, result.stderr
        prefix = environment["BACKUP_PREFIX"]
        assert recorded_counts(s3, prefix, keys, signing, tmp_path) == "public.kept\t1\n"
        operator_tmp(tmp_path)
        drill = script(
            "restore-drill.sh",
            env=drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path),
        )
        assert drill.returncode == 0, drill.stdout + drill.stderr
        assert drill.stdout.splitlines()[-1].startswith(f"restore drill PASS: {prefix}/")


def test_counts_and_dump_agree_while_rows_are_written(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    """A writer inserts and deletes all through the backup: the counts must be those of the dump's snapshot."""
    run_sql(postgres, "app", "create table if not exists busy (id bigserial primary key, body text)")
    stop = threading.Event()
    written = [0]

    def write() -> None:
        while not stop.is_set():
            run_sql(postgres, "app", "insert into busy (body) select repeat('x', 200) from generate_series(1, 50);"
                                     "delete from busy where id % 3 = 0;")  # fmt: skip
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        # A slower pg_dump widens the window between the snapshot and the end of the dump.
        shim = tmp_path / "bin"
        shim.mkdir()
        (shim / "pg_dump").write_text(f'#!/usr/bin/env bash\nsleep 2\nexec "{POSTGRES_BIN / "pg_dump"}" "$@"\n')
        (shim / "pg_dump").chmod(0o755)
        result = script("backup.sh", "run", env=backup_env, path_prefix=f"{shim}:")
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    assert written[0] >= 3
    prefix = backup_env["BACKUP_PREFIX"]
    env = drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path)
    operator_tmp(tmp_path)
    drilled = script("restore-drill.sh", env=env)
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    busy = next(line for line in drilled.stdout.splitlines() if line.startswith("public.busy "))
    assert busy.split()[1] == busy.split()[2] != "0"
    run_sql(postgres, "app", "drop table busy")


def test_the_drill_passes_on_a_good_set_and_leaves_nothing_behind(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    (stamp,) = sets_in(s3, prefix)
    scratch = operator_tmp(tmp_path)
    result = script(
        "restore-drill.sh",
        env=drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["table", "recorded", "restored", "state"]
    assert lines[1:-1] == [
        f"{table:<40} {count:>12} {count:>12}  ok"
        for table, count in (('"Reporting"."Daily Totals"', 1), ("public.customers", 501),
                             ("public.empty_table", 0), ("public.orders", 2000))
    ]  # fmt: skip
    assert lines[-1] == (
        f"restore drill PASS: {prefix}/{stamp} restored into a scratch database on the database of "
        "DRILL_DATABASE_COMMAND: 4 tables, 2502 rows, every count as recorded at dump time"
    )
    assert "dropped the scratch database restore_drill_" in result.stderr
    assert run_sql(postgres, "postgres", DRILL_DATABASES) == "0\n"
    assert list(scratch.iterdir()) == []


def test_the_drill_fails_on_a_damaged_set(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    key = next(key for key in s3.keys(prefix) if key.endswith("/app.dump.age"))
    body = bytearray(s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0x01
    s3.client().put_object(Bucket=s3.bucket, Key=key, Body=bytes(body))
    scratch = operator_tmp(tmp_path)
    result = script(
        "restore-drill.sh",
        env=drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path),
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("restore drill FAIL: backup ")
    assert result.stdout.endswith("does not match its MANIFEST: damaged or tampered with\n")
    assert run_sql(postgres, "postgres", DRILL_DATABASES) == "0\n"
    assert list(scratch.iterdir()) == []


def resign_with_counts(
    *, s3: S3Server, prefix: str, keys: AgeKeys, signing: SigningKey, tmp_path: Path, counts: str | None
) -> str:
    """The newest set again under a newer name, signed with the job's key, its counts file replaced (or left out)."""
    fetched = tmp_path / "genuine"
    assert script("restore-backup.sh", "fetch", "latest", str(fetched),
                  env=restore_env(s3, prefix, keys, signing)).returncode == 0  # fmt: skip
    (stamp,) = sets_in(s3, prefix)
    newer = stamp[:-3] + f"{(int(stamp[-3:-1]) + 1) % 60:02d}Z"
    files = {f"{path.name}.age": age_encrypt(keys.recipient, path.read_bytes())
             for path in fetched.iterdir() if path.name != "app.row-counts.tsv"}  # fmt: skip
    if counts is not None:
        files["app.row-counts.tsv.age"] = age_encrypt(keys.recipient, counts.encode())
    plant_set(s3, prefix, newer, files, signer=signing)
    return newer


def test_the_drill_fails_when_a_count_differs_and_still_drops_the_scratch_database(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    counts = table_counts(postgres).replace("public.orders\t2000", "public.orders\t2001")
    newer = resign_with_counts(s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path, counts=counts)
    scratch = operator_tmp(tmp_path)
    result = script(
        "restore-drill.sh",
        env=drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{'public.orders':<40} {2001:>12} {2000:>12}  DIFFERS" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == (
        f"restore drill FAIL: {prefix}/{newer} restored into a scratch database on the database of "
        "DRILL_DATABASE_COMMAND: 1 of 4 tables differ from the counts recorded at dump time"
    )
    assert "dropped the scratch database restore_drill_" in result.stderr
    assert run_sql(postgres, "postgres", DRILL_DATABASES) == "0\n"
    assert list(scratch.iterdir()) == []


def test_a_set_without_recorded_counts_fails_and_says_why(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    newer = resign_with_counts(s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path, counts=None)
    operator_tmp(tmp_path)
    result = script(
        "restore-drill.sh",
        env=drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path),
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith(
        f"restore drill FAIL: backup {newer} has no recorded row counts (made before backup.sh recorded them)"
    )


def test_a_restore_that_fails_is_a_fail_and_the_scratch_database_goes(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    shim = tmp_path / "bin"
    shim.mkdir()
    # A pg_restore that gets half way: the scratch database exists, then the restore fails.
    (shim / "pg_restore").write_text("#!/usr/bin/env bash\necho 'pg_restore: error: staged failure' >&2\nexit 1\n")
    (shim / "pg_restore").chmod(0o755)
    scratch = operator_tmp(tmp_path)
    env = drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path)
    result = script("restore-drill.sh", env=env, path_prefix=f"{shim}:")
    assert result.returncode == 1
    assert "staged failure" in result.stderr
    assert result.stdout.splitlines()[-1].startswith("restore drill FAIL: restoring backup ")
    assert "dropped the scratch database restore_drill_" in result.stderr
    assert run_sql(postgres, "postgres", DRILL_DATABASES) == "0\n"
    assert list(scratch.iterdir()) == []


def fake_pulumi(directory: Path, outputs: dict[str, dict[str, str]]) -> str:
    """A `pulumi` that prints recorded outputs for `stack output --json --show-secrets --stack NAME`."""
    directory.mkdir()
    for stack, values in outputs.items():
        (directory / f"{stack}.json").write_text(json.dumps(values))
    (directory / "pulumi").write_text(
        '#!/usr/bin/env bash\n[[ "$*" == "stack output --json --show-secrets --stack "* ]] || exit 2\n'
        f'exec cat "{directory}/${{6}}.json"\n'
    )
    (directory / "pulumi").chmod(0o755)
    return f"{directory}:"


def stack_outputs(s3: S3Server, prefix: str, signing: SigningKey, environment: str) -> dict[str, str]:
    return {
        "environment": environment, "sshCommand": "ssh admin@203.0.113.10",
        "serverHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2wU1MjDVCKZ1GyDRcr7gxpAZ/6Q3TMpr+FVXRVXLk/",
        "backupEndpoint": s3.endpoint, "backupBucket": s3.bucket, "backupPrefix": prefix,
        "backupAccessKeyId": "test", "backupSecretAccessKey": "test", "backupSigningKey": signing.public,
    }  # fmt: skip


def make_restore_drill(variables: list[str], env: dict[str, str], path_prefix: str) -> subprocess.CompletedProcess[str]:
    project = Path(__file__).parents[2]
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), "restore-drill", *variables], capture_output=True,
        text=True, check=False, env={"PATH": f"{path_prefix}{POSTGRES_BIN}:{os.environ['PATH']}", **env},
    )  # fmt: skip


def test_make_restore_drill_reads_the_stacks_outputs_and_drills_the_source_stack(
    *, postgres: Postgres, s3: S3Server, keys: AgeKeys, signing: SigningKey, backup_env: dict[str, str], tmp_path: Path
) -> None:
    assert script("backup.sh", "run", env=backup_env).returncode == 0
    prefix = backup_env["BACKUP_PREFIX"]
    outputs = {"staging": stack_outputs(s3, "other-prefix", signing, "staging"),
               "production": stack_outputs(s3, prefix, signing, "production")}  # fmt: skip
    pulumi = fake_pulumi(tmp_path / "pulumi", outputs)
    env = drill_env(postgres=postgres, s3=s3, prefix=prefix, keys=keys, signing=signing, tmp_path=tmp_path)
    env["HOME"] = os.environ.get("HOME", "/root")
    for name in ("BACKUP_S3_ENDPOINT", "BACKUP_S3_BUCKET", "BACKUP_PREFIX", "BACKUP_SIGNING_KEY"):
        del env[name]
    scratch = operator_tmp(tmp_path)
    drilled = make_restore_drill(["STACK=staging", "SOURCE=production"], env, pulumi)
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert f"restore drill PASS: {prefix}/" in drilled.stdout
    assert list(scratch.iterdir()) == []

    refused = make_restore_drill(["STACK=production"], env, pulumi)
    assert refused.returncode != 0
    assert "restore drill FAIL: stack production is a production stack, not staging: a drill restores a whole" in (
        refused.stdout
    )
    assert run_sql(postgres, "postgres", DRILL_DATABASES) == "0\n"
    forced = make_restore_drill(["STACK=production", "FORCE_PRODUCTION_TARGET=1"], env, pulumi)
    assert forced.returncode == 0, forced.stdout + forced.stderr


def test_make_restore_drill_without_the_age_identity_says_what_is_missing(
    s3: S3Server, signing: SigningKey, tmp_path: Path
) -> None:
    pulumi = fake_pulumi(tmp_path / "pulumi", {"staging": stack_outputs(s3, PREFIX, signing, "staging")})
    result = make_restore_drill(["STACK=staging"], {"HOME": os.environ.get("HOME", "/root")}, pulumi)
    assert result.returncode != 0
    assert "AGE_IDENTITY_FILE is not set" in result.stderr
