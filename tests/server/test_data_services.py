"""Postgres and Redis started from the recorded container inputs, on the volume the stack mounted."""

import shlex
import time

from tests.server.conftest import Deployment
from tests.server.standins import COOLIFY_NETWORK, pulled_image, start_container, wait_healthy

MOUNT_POINT = "/mnt/hetzner-coolify/postgres"


def on_coolify_network(deployment: Deployment, image: str, command: str) -> str:
    """`command` in a throwaway container on Coolify's network, where apps run."""
    return deployment.root(
        f"docker run --rm --network {COOLIFY_NETWORK} --entrypoint sh {image} -c {shlex.quote(command)} 2>&1 || true"
    )


def test_both_containers_are_healthy(deployment: Deployment) -> None:
    for container in ("app-postgres", "app-redis"):
        status = deployment.root(f"docker inspect -f '{{{{.State.Health.Status}}}}' {container}").strip()
        assert status == "healthy", container


def test_apps_reach_postgres_by_the_stacks_url_and_redis_only_with_its_password(deployment: Deployment) -> None:
    postgres_image = pulled_image(deployment.recording.named("data-postgres"), deployment.recording)
    redis_image = pulled_image(deployment.recording.named("data-redis"), deployment.recording)
    answer = on_coolify_network(deployment, postgres_image, f"psql {shlex.quote(deployment.output('databaseUrl'))} "
                                "-XAtc 'select current_user'")  # fmt: skip
    assert answer.strip() == "app"
    redis_host = deployment.output("redisHost").split(":")[0]
    assert "NOAUTH" in on_coolify_network(deployment, redis_image, f"redis-cli -h {redis_host} ping")
    redis_url = deployment.output("redisUrl")
    authenticated = on_coolify_network(deployment, redis_image, f"redis-cli --no-auth-warning -u {redis_url} ping")
    assert authenticated.strip() == "PONG"


def test_no_port_is_published(deployment: Deployment) -> None:
    assert deployment.root("docker ps --format '{{.Names}} {{.Ports}}' | grep -E '0\\.0\\.0\\.0|:::' || true") == ""


def test_postgres_keeps_its_data_on_the_mounted_volume_across_a_replacement(deployment: Deployment) -> None:
    device = deployment.machine.inside(f"findmnt -n -o SOURCE {MOUNT_POINT}").stdout.strip()
    assert device in deployment.machine.devices
    assert f"{MOUNT_POINT} ext4 discard,nofail,defaults 0 0" in deployment.root("cat /etc/fstab")
    assert deployment.root(f"cat {MOUNT_POINT}/pgdata/PG_VERSION").strip().isdigit()
    psql = "docker exec app-postgres psql -U app -d app -XAtc"
    deployment.root(f"{psql} 'create table if not exists kept (id int primary key); insert into kept values (42)'")
    # A replacement, as the Docker provider does it: the old container goes, a new one starts from the inputs.
    deployment.root("docker rm -f app-postgres >/dev/null")
    start_container(deployment.root, deployment.recording.named("data-postgres"), deployment.recording)
    assert deployment.root(f"{psql} 'select id from kept'").strip() == "42"


def test_apps_get_a_role_that_owns_their_database_and_cannot_reach_a_shell(deployment: Deployment) -> None:
    image = pulled_image(deployment.recording.named("data-postgres"), deployment.recording)
    url = shlex.quote(deployment.output("databaseUrl"))
    facts = on_coolify_network(deployment, image, f"psql {url} -XAtc 'select rolsuper, rolcreaterole, rolcreatedb, "
                               "pg_get_userbyid(datdba) from pg_roles, pg_database where rolname = current_user "
                               "and datname = current_database()'")  # fmt: skip
    assert facts.strip() == "f|f|f|app"
    escape = on_coolify_network(deployment, image, f"psql {url} -XAtc \"copy (select 1) to program 'id'\"")
    assert "pg_execute_server_program" in escape
    superuser = deployment.root("docker exec app-postgres psql -U postgres -XAtc 'select rolsuper from pg_roles "
                                "where rolname = current_user'")  # fmt: skip
    assert superuser.strip() == "t"
    again = deployment.rehearsal.step(deployment.recording.named("data-postgres-roles"))
    assert again.stderr.strip().endswith("[postgres-roles] roles as they should be (nothing changed)")


def test_postgres_refuses_to_start_without_its_volume_and_never_initialises_the_root_disk(
    deployment: Deployment,
) -> None:
    """The volume missing at boot (`nofail`): the mount point is an empty directory of the root disk."""
    mounts = deployment.root(f"findmnt -n -o SOURCE,TARGET -R {MOUNT_POINT}; ls -A {MOUNT_POINT}")
    deployment.root(f"docker stop app-postgres >/dev/null && umount {MOUNT_POINT}")
    try:
        beneath = deployment.root(f"findmnt -n -o SOURCE,TARGET -R {MOUNT_POINT}; ls -A {MOUNT_POINT}")
        assert beneath.strip() == "", f"mounted:\n{mounts}\nafter umount:\n{beneath}"
        deployment.root("docker start app-postgres >/dev/null")
        deadline = time.monotonic() + 30
        while (state := deployment.root("docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' app-postgres")
               .strip()) not in ("exited 1", "restarting 1") and time.monotonic() < deadline:  # fmt: skip
            time.sleep(1)
        assert state in ("exited 1", "restarting 1")
        logs = deployment.root("docker logs app-postgres 2>&1")
        assert f"the Hetzner Volume is not mounted at {MOUNT_POINT}: refusing to start on the root disk" in logs
        assert deployment.root(f"ls -A {MOUNT_POINT}").strip() == ""
    finally:
        deployment.root(
            f"docker stop app-postgres >/dev/null; mount {MOUNT_POINT} && docker start app-postgres >/dev/null"
        )
    wait_healthy(deployment.root, "app-postgres", 120)
    assert deployment.root(f"cat {MOUNT_POINT}/.hetzner-coolify-volume").startswith("Hetzner Volume ")
