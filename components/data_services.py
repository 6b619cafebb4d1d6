"""PostgreSQL and Redis on the server, through pulumi-docker over SSH, private to Coolify's network.

Children: a Docker `Provider` reaching the server's daemon over ssh:// (after Coolify is ready);
for each service a `RemoteImage`, a generated password (`RandomPassword`), its storage and its
`Container`. Postgres keeps its data on a named Docker volume, or on a Hetzner `Volume` that survives
the server (`VolumeAttachment` and a remote mount step). Volumes are separate resources, so a new
password, image or limit replaces a container and never its data. No port is published, except
Postgres on 127.0.0.1 when asked for, for SSH tunnels.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict
from urllib.parse import quote

import pulumi
import pulumi_docker as docker
import pulumi_hcloud as hcloud
import pulumi_random as random

from components.bootstrap import Target, remote_step

# Coolify's Docker network: every app it deploys is on it and reaches these services by name.
COOLIFY_NETWORK = "coolify"
POSTGRES_HOST = "postgres"
POSTGRES_PORT = 5432
REDIS_HOST = "redis"
REDIS_PORT = 6379
# A subdirectory, so that initdb never meets a file system's lost+found.
PGDATA = "/var/lib/postgresql/data/pgdata"
POSTGRES_DATA_DIR = "/var/lib/postgresql/data"
VOLUME_MOUNT_POINT = "/mnt/hetzner-coolify/postgres"
LOG_OPTIONS = {"max-size": "10m", "max-file": "3"}
# Redis reads its password from the environment, so it is neither in the container's command nor in
# the process list; redis-cli takes it from REDISCLI_AUTH for the same reason.
REDIS_HEALTHCHECK = ["CMD-SHELL", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG']
POSTGRES_HEALTHCHECK = ["CMD-SHELL", 'pg_isready -q -U "$POSTGRES_USER" -d "$POSTGRES_DB"']


@dataclass(frozen=True)
class PostgresOptions:
    image: str
    database: str
    user: str
    memory_mb: int
    storage: Literal["docker-volume", "hetzner-volume"]
    volume_size_gb: int
    local_port: int | None


@dataclass(frozen=True)
class RedisOptions:
    image: str
    memory_mb: int


@dataclass(frozen=True)
class DataServicesArgs:
    name: str
    """Prefix of volume and resource names on the server and at Hetzner."""
    server_id: pulumi.Input[str]
    host: pulumi.Input[str]
    private_key: pulumi.Input[str]
    location: str
    admin_user: str
    """Who operators log in as, for the tunnel recipe."""
    ssh_identity_file: str | None
    """Key file for the system ssh that the Docker provider uses; None uses the SSH agent."""
    coolify_ready: pulumi.Resource
    postgres: PostgresOptions | None
    redis: RedisOptions | None
    protect: bool
    delete_protection: bool
    labels: Mapping[str, str]


def database_url(user: str, password: str, host: str, port: int, database: str) -> str:
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"


def redis_url(password: str, host: str, port: int, database: int = 0) -> str:
    return f"redis://default:{quote(password, safe='')}@{host}:{port}/{database}"


def redis_server_arguments(memory_mb: int) -> list[str]:
    """redis-server's options: a password, append-only persistence, and memory below the container limit.

    Three quarters of the limit leaves room for the fork that rewrites the append-only file.
    """
    return [
        "--requirepass", '"$REDIS_PASSWORD"',
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--maxmemory", f"{memory_mb * 3 // 4}mb",
        "--maxmemory-policy", "noeviction",
    ]  # fmt: skip


def postgres_tunnel(admin_user: str, host: pulumi.Input[str], options: PostgresOptions) -> pulumi.Output[str]:
    if options.local_port:
        return pulumi.Output.concat(
            f"ssh -N -L {POSTGRES_PORT}:127.0.0.1:{options.local_port} {admin_user}@", host,
            f"  # then: psql postgresql://{options.user}@127.0.0.1:{POSTGRES_PORT}/{options.database}",
        )  # fmt: skip
    return pulumi.Output.concat(
        f"ssh -t {admin_user}@",
        host,
        f" sudo docker exec -it {POSTGRES_HOST} psql -U {options.user} -d {options.database}",
    )


def secret_assignment(name: str, value: pulumi.Output[str]) -> pulumi.Output[str]:
    """`NAME=value` for a container's environment, marked secret however the value arrived."""
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret.apply(lambda text: f"{name}={text}")


def docker_ssh_options(identity_file: str | None, server_id: str) -> list[str]:
    """The system ssh's options: the host key trusted on first use and remembered per server, so that a
    replaced server (same address, new host key) is trusted afresh instead of refused as an impostor."""
    options = [
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", f"UserKnownHostsFile=~/.ssh/known_hosts.hetzner-coolify-{server_id}",
        "-o", "ConnectTimeout=10",
        "-o", "ServerAliveInterval=30",
    ]  # fmt: skip
    return options + (["-i", identity_file, "-o", "IdentitiesOnly=yes"] if identity_file else [])


class ContainerSettings(TypedDict):
    """What both containers share: Coolify's network, restarts, limits, log rotation, labels."""

    networks_advanced: list[docker.ContainerNetworksAdvancedArgs]
    restart: str
    memory: int
    log_driver: str
    log_opts: dict[str, str]
    labels: list[docker.ContainerLabelArgs]
    wait: bool
    wait_timeout: int


class DataServices(pulumi.ComponentResource):
    database_url: pulumi.Output[str] | None
    """For apps on Coolify's network (secret)."""
    redis_url: pulumi.Output[str] | None
    postgres_host: str
    redis_host: str
    postgres_tunnel: pulumi.Output[str] | None
    """How an operator reaches the database from a laptop."""
    postgres_container: docker.Container | None

    def __init__(self, name: str, args: DataServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:data:DataServices", name, None, opts)
        self._name = name
        self._args = args
        self._docker = docker.Provider(
            f"{name}-docker",
            host=pulumi.Output.concat("ssh://root@", args.host),
            ssh_opts=pulumi.Output.from_input(args.server_id).apply(
                lambda server_id: docker_ssh_options(args.ssh_identity_file, server_id)
            ),
            # Previews in CI hold no SSH key; a deploy reaches the daemon anyway when it acts on it.
            disable_docker_daemon_check=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.coolify_ready]),
        )
        self.postgres_container = None
        self.database_url = self._postgres(args.postgres) if args.postgres else None
        self.redis_url = self._redis(args.redis) if args.redis else None
        self.postgres_host = f"{POSTGRES_HOST}:{POSTGRES_PORT}"
        self.redis_host = f"{REDIS_HOST}:{REDIS_PORT}"
        self.postgres_tunnel = postgres_tunnel(args.admin_user, args.host, args.postgres) if args.postgres else None
        self.register_outputs({"postgresHost": self.postgres_host, "redisHost": self.redis_host})

    def _on_docker(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._docker, depends_on=list(depends_on))

    def _kept(self, on_docker: bool = True) -> pulumi.ResourceOptions:
        """Options of data stores: protected (and retained on delete) as configured."""
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._docker if on_docker else None,
            protect=self._args.protect,
            retain_on_delete=self._args.protect,
        )

    def _password(self, service: str) -> random.RandomPassword:
        # Letters and digits only: the password goes into URLs and shell environments unquoted.
        return random.RandomPassword(
            f"{self._name}-{service}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )

    def _image(self, service: str, image: str) -> docker.RemoteImage:
        """Pulled before the container starts; the container names it by its pinned tag, which the
        policies can read in a preview (an image id is only known after the pull)."""
        return docker.RemoteImage(
            f"{self._name}-{service}-image", name=image, keep_locally=True, opts=self._on_docker()
        )

    def _postgres(self, options: PostgresOptions) -> pulumi.Output[str]:
        password = self._password("postgres")
        storage, ready = self._postgres_storage(options)
        ports = (
            [docker.ContainerPortArgs(internal=POSTGRES_PORT, external=options.local_port, ip="127.0.0.1")]
            if options.local_port
            else []
        )
        self.postgres_container = docker.Container(
            f"{self._name}-postgres",
            name=POSTGRES_HOST,
            image=self._image("postgres", options.image).name,
            envs=[
                f"POSTGRES_USER={options.user}",
                f"POSTGRES_DB={options.database}",
                f"PGDATA={PGDATA}",
                secret_assignment("POSTGRES_PASSWORD", password.result),
            ],
            volumes=[storage],
            ports=ports,
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=POSTGRES_HEALTHCHECK, interval="10s", timeout="5s", retries=5, start_period="30s"
            ),
            **self._container_settings(options.memory_mb, POSTGRES_HOST),
            opts=pulumi.ResourceOptions.merge(
                self._on_docker(ready), pulumi.ResourceOptions(additional_secret_outputs=["envs"])
            ),
        )
        return pulumi.Output.secret(
            password.result.apply(
                lambda value: database_url(options.user, value, POSTGRES_HOST, POSTGRES_PORT, options.database)
            )
        )

    def _postgres_storage(self, options: PostgresOptions) -> tuple[docker.ContainerVolumeArgs, list[pulumi.Resource]]:
        if options.storage == "docker-volume":
            volume = docker.Volume(
                f"{self._name}-postgres-data",
                name=f"{self._args.name}-postgres-data",
                labels=self._volume_labels(),
                opts=self._kept(),
            )
            return docker.ContainerVolumeArgs(volume_name=volume.name, container_path=POSTGRES_DATA_DIR), []
        disk = hcloud.Volume(
            f"{self._name}-postgres-volume",
            name=f"{self._args.name}-postgres",
            size=options.volume_size_gb,
            location=self._args.location,
            format="ext4",
            delete_protection=self._args.delete_protection,
            labels=dict(self._args.labels),
            opts=self._kept(on_docker=False),
        )
        attachment = hcloud.VolumeAttachment(
            f"{self._name}-postgres-volume-attachment",
            volume_id=disk.id.apply(int),
            server_id=pulumi.Output.from_input(self._args.server_id).apply(int),
            automount=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        mounted = remote_step(
            f"{self._name}-postgres-volume-mount",
            Target(self, self._args.server_id, self._args.host, self._args.private_key),
            "mount-volume.sh",
            disk.id.apply(lambda volume_id: {"VOLUME_ID": volume_id, "MOUNT_POINT": VOLUME_MOUNT_POINT}),
            after=[attachment, self._args.coolify_ready],
        )
        return docker.ContainerVolumeArgs(host_path=VOLUME_MOUNT_POINT, container_path=POSTGRES_DATA_DIR), [mounted]

    def _redis(self, options: RedisOptions) -> pulumi.Output[str]:
        password = self._password("redis")
        volume = docker.Volume(
            f"{self._name}-redis-data",
            name=f"{self._args.name}-redis-data",
            labels=self._volume_labels(),
            opts=self._kept(),
        )
        docker.Container(
            f"{self._name}-redis",
            name=REDIS_HOST,
            image=self._image("redis", options.image).name,
            command=["sh", "-c", " ".join(["exec", "redis-server", *redis_server_arguments(options.memory_mb)])],
            envs=[secret_assignment("REDIS_PASSWORD", password.result)],
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path="/data")],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=REDIS_HEALTHCHECK, interval="10s", timeout="5s", retries=5, start_period="10s"
            ),
            **self._container_settings(options.memory_mb, REDIS_HOST),
            opts=pulumi.ResourceOptions.merge(
                self._on_docker(), pulumi.ResourceOptions(additional_secret_outputs=["envs"])
            ),
        )
        return pulumi.Output.secret(password.result.apply(lambda value: redis_url(value, REDIS_HOST, REDIS_PORT)))

    def _container_settings(self, memory_mb: int, alias: str) -> ContainerSettings:
        return ContainerSettings(
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=COOLIFY_NETWORK, aliases=[alias])],
            restart="unless-stopped",
            memory=memory_mb,
            log_driver="json-file",
            log_opts=LOG_OPTIONS,
            labels=[docker.ContainerLabelArgs(label=key, value=value) for key, value in self._docker_labels().items()],
            # Creation waits for the healthcheck: a broken database fails `pulumi up`, not the first app.
            wait=True,
            wait_timeout=180,
        )

    def _docker_labels(self) -> dict[str, str]:
        return {f"hetzner-coolify.{key}": value for key, value in self._args.labels.items()}

    def _volume_labels(self) -> list[docker.VolumeLabelArgs]:
        return [docker.VolumeLabelArgs(label=key, value=value) for key, value in self._docker_labels().items()]
