"""The data services' containers as plain values: their names on Coolify's network, ports, data
directories, commands, healthchecks, and the URLs apps connect with. The real-server tests start
containers from the same values."""

from urllib.parse import quote

import pulumi

from stack_config.data_services import PostgresSettings

# Coolify's Docker network: every app it deploys is on it and reaches these services by name.
COOLIFY_NETWORK = "coolify"
# Where Docker takes that network and every other one from, set when Coolify is installed. Docker's
# default, 10.0.0.0/8 (coollabsio/coolify@v4.3.10:scripts/install.sh:59-60), can put a network on top of
# the workers' private network, and Coolify then cannot reach them.
DOCKER_ADDRESS_POOL = "172.20.0.0/14"
DOCKER_ADDRESS_POOL_SIZE = 24
# Container names and network aliases at once. Coolify's own database and cache answer to `postgres` and
# `redis` on that network (their compose service names, coollabsio/coolify@v4.3.10:docker-compose.yml:14,20):
# a name they share would reach either at random.
POSTGRES_HOST = "app-postgres"
POSTGRES_PORT = 5432
REDIS_HOST = "app-redis"
REDIS_PORT = 6379
# A subdirectory, so that initdb never meets a file system's lost+found.
PGDATA = "/var/lib/postgresql/data/pgdata"
POSTGRES_DATA_DIR = "/var/lib/postgresql/data"
VOLUME_MOUNT_POINT = "/mnt/hetzner-coolify/postgres"
# Written on the Hetzner Volume once it is mounted (mount-volume.sh). Postgres starts only where it finds it: without
# the volume, the mount point is an empty directory of the root disk, where the image would initialise a new, empty
# database (docker-library/postgres@6edb0a8c4d:17/bookworm/docker-entrypoint.sh:245-246,342).
VOLUME_MARKER = ".hetzner-coolify-volume"
LOG_OPTIONS = {"max-size": "10m", "max-file": "3"}
# Redis reads its password from the environment, so it is neither in the container's command nor in
# the process list; redis-cli takes it from REDISCLI_AUTH for the same reason.
REDIS_HEALTHCHECK = ["CMD-SHELL", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG']
POSTGRES_HEALTHCHECK = ["CMD-SHELL", 'pg_isready -q -U "$POSTGRES_USER" -d "$POSTGRES_DB"']


def postgres_on_volume_command() -> list[str]:
    """The container's command on a Hetzner Volume: refuse to start unless the volume is there, then the image's
    own entrypoint and server. The image runs a command that is not `postgres` as it is
    (docker-library/postgres@6edb0a8c4d:17/bookworm/docker-entrypoint.sh:326-377; ENTRYPOINT docker-entrypoint.sh,
    17/bookworm/Dockerfile:189-191)."""
    marker = f"{POSTGRES_DATA_DIR}/{VOLUME_MARKER}"
    return [
        "sh", "-c",
        f"if [ ! -f {marker} ]; then echo 'the Hetzner Volume is not mounted at {VOLUME_MOUNT_POINT}: refusing to "
        "start on the root disk' >&2; exit 1; fi; exec docker-entrypoint.sh postgres",
    ]  # fmt: skip


def database_url(user: str, password: str, host: str, port: int, database: str) -> str:
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"


def redis_url(password: str, host: str, port: int, database: int = 0) -> str:
    return f"redis://default:{quote(password, safe='')}@{host}:{port}/{database}"


# From the first rotation on, Redis accepts two passwords (stack_config/rotation.py): the one apps hold and the new
# one. Both are rules of the default user, which the `user` directive resets first
# (redis/redis@7.4.1:redis.conf:879-885,937, src/acl.c:2200-2231); `~* &* +@all` is what `requirepass` leaves it.
# The first deploy's slot is REDIS_PASSWORD and the second slot REDIS_ALTERNATE_PASSWORD, whichever of them the
# counter gives the apps.
REDIS_BOTH_PASSWORDS = ["--user", "default", "on", '">$REDIS_PASSWORD"', '">$REDIS_ALTERNATE_PASSWORD"',
                        '"~*"', '"&*"', '"+@all"']  # fmt: skip


def redis_server_arguments(memory_mb: int, alternate_password: bool = False) -> list[str]:
    """redis-server's options: a password (two with `alternate_password`), append-only persistence, and memory
    below the container limit.

    Three quarters of the limit leaves room for the fork that rewrites the append-only file. The shell expands the
    passwords from the environment; redis-server then shows only `redis-server *:6379` as its command line.
    """
    return [
        *(REDIS_BOTH_PASSWORDS if alternate_password else ["--requirepass", '"$REDIS_PASSWORD"']),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--maxmemory", f"{memory_mb * 3 // 4}mb",
        "--maxmemory-policy", "noeviction",
    ]  # fmt: skip


def postgres_tunnel(admin_user: str, address: pulumi.Input[str], settings: PostgresSettings) -> pulumi.Output[str]:
    if settings.local_port:
        return pulumi.Output.concat(
            f"ssh -N -L {POSTGRES_PORT}:127.0.0.1:{settings.local_port} {admin_user}@", address,
            f"  # then: psql postgresql://{settings.user}@127.0.0.1:{POSTGRES_PORT}/{settings.database}",
        )  # fmt: skip
    return pulumi.Output.concat(
        f"ssh -t {admin_user}@",
        address,
        f" sudo docker exec -it {POSTGRES_HOST} psql -U {settings.user} -d {settings.database}",
    )


HOST_KEY_ALIAS = "hetzner-coolify-server"
"""The name a server's host key is filed under for the system ssh, whatever its address or port (as
wait-for-ssh.sh files it)."""


def docker_ssh_options(identity_file: str | None, host_key: str) -> list[str]:
    """The system ssh's options for the Docker provider: the server's host key recorded at first contact
    (`ssh-ed25519 <key>`) and no other, whatever any known_hosts file says.

    The provider passes each element as one argument of `ssh` (kreuzwerker/terraform-provider-docker@v4.5.0:
    internal/provider/config.go:168, docker/cli's connhelper). KnownHostsCommand (OpenSSH 8.5 or later) prints
    the pinned key, so no file has to exist where `pulumi up` runs; ssh splits it into arguments without a shell
    (ssh_config(5), KnownHostsCommand), and a key has no character a shell or ssh's `%` tokens would read."""
    options = [
        "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", f"HostKeyAlias={HOST_KEY_ALIAS}",
        "-o", "HostKeyAlgorithms=ssh-ed25519",
        "-o", f"KnownHostsCommand=/bin/echo {HOST_KEY_ALIAS} {host_key}",
        "-o", "ConnectTimeout=10",
        "-o", "ServerAliveInterval=30",
    ]  # fmt: skip
    return options + (["-i", identity_file, "-o", "IdentitiesOnly=yes"] if identity_file else [])
