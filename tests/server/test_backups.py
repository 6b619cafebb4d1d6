"""The backup job as the stack installed it: its timer, its credentials, its signing key and the backup it made
at install, a run end to end and a restore that verifies the set against the printed key."""

import re
import shlex

import pytest

from components.backups import SIGNING_KEY_LINE
from components.server_scripts import SCRIPTS_DIR
from tests.real.servers import SAMPLE_DATA
from tests.server.conftest import Deployment
from tests.server.rehearsal import RehearsalError

SERVICE = "hetzner-coolify-backup.service"
INSTALL = "backups-install-job"
OPERATOR_DIR = "/root/operator"
TABLES = ("customers", "orders")


def app_sql(deployment: Deployment, sql: str, database: str = "app") -> str:
    return deployment.root(f"docker exec -i app-postgres psql -U app -d {database} -XAtq -v ON_ERROR_STOP=1", stdin=sql)


def test_the_timer_is_active_with_a_next_run(deployment: Deployment) -> None:
    assert deployment.root("systemctl is-active hetzner-coolify-backup.timer").strip() == "active"
    assert deployment.root("systemctl show -p NextElapseUSecRealtime --value hetzner-coolify-backup.timer").strip()


def signing_key(deployment: Deployment) -> str:
    """The public half the install step printed: what the stack output backupSigningKey holds after `pulumi up`."""
    return deployment.rehearsal.runs[INSTALL].stdout.strip()


def test_the_install_made_a_signing_key_and_a_first_backup_signed_with_it(deployment: Deployment) -> None:
    key = signing_key(deployment)
    assert SIGNING_KEY_LINE.fullmatch(key), key
    credentials = "/etc/hetzner-coolify/credentials"
    assert deployment.root(f"stat -c '%a %U' {credentials} {credentials}/backup-signing-key").split() == [
        "700", "root", "600", "root",
    ]  # fmt: skip
    assert deployment.root(f"ssh-keygen -y -f {credentials}/backup-signing-key").strip() == key
    # Before any run of the timer: the set the install made and proved.
    bucket, prefix = deployment.output("backupBucket"), deployment.output("backupPrefix")
    signatures = [name for name in deployment.s3.keys(bucket, prefix) if name.endswith("/MANIFEST.sig")]
    pattern = re.escape(prefix) + r"/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z/MANIFEST\.sig"
    assert signatures and all(re.fullmatch(pattern, name) for name in signatures)
    assert deployment.root(f"systemctl show -p Result --value {SERVICE}").strip() == "success"


def test_an_install_whose_backup_fails_fails(deployment: Deployment) -> None:
    install = deployment.recording.named(INSTALL)
    drop_in = f"/run/systemd/system/{SERVICE}.d/fail.conf"
    try:
        # A job that fails as a broken one would; new credentials make the install prove the job again.
        deployment.root(
            f"mkdir -p {shlex.quote(drop_in.rsplit('/', 1)[0])} && printf '%s\\n' '[Service]' 'ExecStart=' "
            f"'ExecStart=/bin/sh -c \"echo staged failure >&2; exit 1\"' > {drop_in} && systemctl daemon-reload"
        )
        with pytest.raises(RehearsalError) as failed:
            deployment.rehearsal.step_with_environment(install, {"BACKUP_S3_SECRET_ACCESS_KEY": "rotated"})
        # The job's own log, then why the step stops.
        assert "staged failure" in str(failed.value) and "error: the first backup failed" in str(failed.value)
    finally:
        deployment.root(f"rm -f {drop_in} && systemctl daemon-reload")
        deployment.rehearsal.step(install)


def test_credentials_with_awkward_characters_reach_the_job_unchanged(deployment: Deployment) -> None:
    install = deployment.recording.named(INSTALL)
    awkward = {"BACKUP_S3_ACCESS_KEY_ID": ' id "quoted" ', "BACKUP_S3_SECRET_ACCESS_KEY": "back\\slash $HOME `x` 'y' "}
    drop_in = f"/run/systemd/system/{SERVICE}.d/show-credentials.conf"
    try:
        # The unit as installed, its command replaced by one that keeps what the job would be handed: the backup
        # the install runs to prove new credentials runs it.
        shown = "cp $CREDENTIALS_DIRECTORY/s3-access-key-id $CREDENTIALS_DIRECTORY/s3-secret-access-key /run/"
        deployment.root(
            f"mkdir -p {shlex.quote(drop_in.rsplit('/', 1)[0])} && printf '%s\\n' '[Service]' 'ExecStart=' "
            f"'ExecStart=/bin/sh -c \"{shown}\"' > {drop_in} && systemctl daemon-reload"
        )
        run = deployment.rehearsal.step_with_environment(install, awkward)
        assert "backup job installed" in run.stderr and "the first backup succeeded" in run.stderr
        assert deployment.root("cat /run/s3-access-key-id") == awkward["BACKUP_S3_ACCESS_KEY_ID"]
        assert deployment.root("cat /run/s3-secret-access-key") == awkward["BACKUP_S3_SECRET_ACCESS_KEY"]
    finally:
        deployment.root(f"rm -f {drop_in} /run/s3-access-key-id /run/s3-secret-access-key && systemctl daemon-reload")
        deployment.rehearsal.step(install)


def test_a_backup_run_then_a_restore_gives_back_every_row(deployment: Deployment) -> None:
    app_sql(deployment, f"drop table if exists orders, customers; {SAMPLE_DATA}")
    deployment.root(f"systemctl start {SERVICE}", timeout=600)
    assert deployment.root(f"systemctl show -p Result --value {SERVICE}").strip() == "success"

    bucket, prefix = deployment.output("backupBucket"), deployment.output("backupPrefix")
    objects = deployment.s3.keys(bucket, prefix)
    stamps = {key.split("/")[1] for key in objects}
    newest = max(stamps)
    assert sorted(key.rsplit("/", 1)[1] for key in objects if f"/{newest}/" in key) == [
        "MANIFEST", "MANIFEST.sig", "app.dump.age", "app.row-counts.tsv.age", "coolify-db.dump.age", "coolify.env.age",
    ]  # fmt: skip

    # The operator's machine: the scripts, the age identity and a PostgreSQL client of the server's version.
    deployment.root(f"install -d -m 0700 {OPERATOR_DIR} && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                    "--no-install-recommends postgresql-client >/dev/null")  # fmt: skip
    for name in ("lib.sh", "backup.sh", "restore-backup.sh"):
        deployment.root(f"install -m 0700 /dev/stdin {OPERATOR_DIR}/{name}", stdin=(SCRIPTS_DIR / name).read_text())
    deployment.root(f"install -m 0600 /dev/stdin {OPERATOR_DIR}/age-identity.txt",
                    stdin=deployment.age.identity_file.read_text())  # fmt: skip
    # The app's role creates no database: the operator makes the target with the internal superuser, for the app.
    deployment.root(
        "docker exec -i app-postgres psql -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1",
        stdin="drop database if exists restored; create database restored owner app;",
    )
    address = deployment.root(
        "docker inspect -f '{{.NetworkSettings.Networks.coolify.IPAddress}}' app-postgres"
    ).strip()
    password = deployment.output("databaseUrl").split(":")[2].split("@")[0]
    # The password in a password file, as the runbook has it: never on a command line.
    deployment.root(
        f"install -m 0600 /dev/stdin {OPERATOR_DIR}/pgpass", stdin=f"{address}:5432:restored:app:{password}\n"
    )
    environment = {
        "BACKUP_S3_ENDPOINT": deployment.output("backupEndpoint"), "BACKUP_S3_BUCKET": bucket,
        "BACKUP_S3_PROVIDER": "Cloudflare", "BACKUP_PREFIX": prefix,
        "BACKUP_S3_ACCESS_KEY_ID": deployment.output("backupAccessKeyId"),
        "BACKUP_S3_SECRET_ACCESS_KEY": deployment.output("backupSecretAccessKey"),
        "AGE_IDENTITY_FILE": f"{OPERATOR_DIR}/age-identity.txt", "PGPASSFILE": f"{OPERATOR_DIR}/pgpass",
        "BACKUP_SIGNING_KEY": signing_key(deployment),
    }  # fmt: skip
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in environment.items())
    target = f"postgresql://app@{address}:5432/restored"
    try:
        deployment.root(f"{assignments} bash {OPERATOR_DIR}/restore-backup.sh restore latest {shlex.quote(target)}")
    finally:
        deployment.root(f"rm -rf {OPERATOR_DIR}")
    for table in TABLES:
        query = f"select * from {table} order by id;"
        original = app_sql(deployment, query)
        assert original.count("\n") in (501, 2000)
        assert app_sql(deployment, query, database="restored") == original
