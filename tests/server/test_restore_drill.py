"""The restore drill against the backup job as the stack installed it: a real backup with sample data passes, the
same backup with one byte of an object changed in the bucket fails, and no scratch database is left either way.

The operator's machine is played inside the server (the S3 stand-in answers only in its network namespace), with
the scripts, the age identity and the admin user's key; the drill reaches the server as a real operator would:
SSH as the admin user, pinned to the server's host key, sudo, `docker exec -i app-postgres`.
"""

import shlex
import subprocess

from components.server_scripts import SCRIPTS_DIR
from tests.real.servers import SAMPLE_DATA
from tests.server.conftest import Deployment
from tests.server.test_backups import SERVICE, app_sql, signing_key

OPERATOR_DIR = "/root/drill-operator"
DRILL_DATABASES = "select count(*) from pg_database where datname like 'restore\\_drill\\_%';"


def drill(deployment: Deployment, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in environment.items())
    return deployment.client.run(
        "root", deployment.deploy_key.private_file, f"{assignments} bash {OPERATOR_DIR}/restore-drill.sh", timeout=600
    )


def scratch_databases(deployment: Deployment) -> str:
    return deployment.root(
        "docker exec -i app-postgres psql -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1", stdin=DRILL_DATABASES
    ).strip()


def flip_a_byte(deployment: Deployment, bucket: str, key: str) -> None:
    """One bit of the middle byte of an object, changed in place (twice: as it was)."""
    deployment.s3.call(
        f"s3.put_object(Bucket={bucket!r}, Key={key!r}, Body=(lambda body: body[:len(body) // 2] + "
        f"bytes([body[len(body) // 2] ^ 1]) + body[len(body) // 2 + 1:])"
        f"(s3.get_object(Bucket={bucket!r}, Key={key!r})['Body'].read()))['ETag']"
    )


def test_the_drill_passes_on_a_real_backup_and_fails_on_a_damaged_one(deployment: Deployment) -> None:
    app_sql(deployment, f"drop table if exists orders, customers; {SAMPLE_DATA}")
    deployment.root(f"systemctl start {SERVICE}", timeout=600)
    assert deployment.root(f"systemctl show -p Result --value {SERVICE}").strip() == "success"
    bucket, prefix = deployment.output("backupBucket"), deployment.output("backupPrefix")
    newest = max(key.split("/")[1] for key in deployment.s3.keys(bucket, prefix))

    deployment.root(f"install -d -m 0700 {OPERATOR_DIR} {OPERATOR_DIR}/tmp")
    for name in ("lib.sh", "backup.sh", "restore-backup.sh", "restore-drill.sh"):
        deployment.root(f"install -m 0700 /dev/stdin {OPERATOR_DIR}/{name}", stdin=(SCRIPTS_DIR / name).read_text())
    deployment.root(f"install -m 0600 /dev/stdin {OPERATOR_DIR}/age-identity.txt",
                    stdin=deployment.age.identity_file.read_text())  # fmt: skip
    deployment.root(f"install -m 0600 /dev/stdin {OPERATOR_DIR}/admin-key",
                    stdin=deployment.admin_key.private_file.read_text())  # fmt: skip
    # The admin user of the stack (sshCommand: "ssh <user>@<address>"); the address, inside, is the server itself.
    admin_user = str(deployment.output("sshCommand")).split()[1].split("@")[0]
    host_key = " ".join(deployment.root("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[:2])
    environment = {
        "BACKUP_S3_ENDPOINT": deployment.output("backupEndpoint"), "BACKUP_S3_BUCKET": bucket,
        "BACKUP_S3_PROVIDER": "Cloudflare", "BACKUP_PREFIX": prefix,
        "BACKUP_S3_ACCESS_KEY_ID": deployment.output("backupAccessKeyId"),
        "BACKUP_S3_SECRET_ACCESS_KEY": deployment.output("backupSecretAccessKey"),
        "BACKUP_SIGNING_KEY": signing_key(deployment), "AGE_IDENTITY_FILE": f"{OPERATOR_DIR}/age-identity.txt",
        "DRILL_SSH_TARGET": f"{admin_user}@127.0.0.1", "DRILL_SSH_HOST_KEY": host_key,
        "DRILL_SSH_IDENTITY": f"{OPERATOR_DIR}/admin-key", "TMPDIR": f"{OPERATOR_DIR}/tmp",
    }  # fmt: skip
    try:
        passed = drill(deployment, environment)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        report = passed.stdout.splitlines()
        assert f"{'public.customers':<40} {501:>12} {501:>12}  ok" in report
        assert f"{'public.orders':<40} {2000:>12} {2000:>12}  ok" in report
        assert report[-1].startswith(f"restore drill PASS: {prefix}/{newest} restored into a scratch database on ")
        assert scratch_databases(deployment) == "0"
        assert deployment.root(f"ls -A {OPERATOR_DIR}/tmp") == ""

        damaged = f"{prefix}/{newest}/app.dump.age"
        flip_a_byte(deployment, bucket, damaged)
        try:
            failed = drill(deployment, environment)
        finally:
            flip_a_byte(deployment, bucket, damaged)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert failed.stdout.splitlines()[-1] == (
            f"restore drill FAIL: backup {newest} does not match its MANIFEST: damaged or tampered with"
        )
        assert scratch_databases(deployment) == "0"
        assert deployment.root(f"ls -A {OPERATOR_DIR}/tmp") == ""
    finally:
        deployment.root(f"rm -rf {OPERATOR_DIR}")
