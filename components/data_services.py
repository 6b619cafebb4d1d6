"""PostgreSQL and Redis on the main server, through pulumi-docker over SSH, private to Coolify's network.

Children: a Docker `Provider` reaching the server's daemon over ssh:// (after Coolify is ready);
for each service a `RemoteImage`, a generated password (`RandomPassword`; a second one from the service's
first rotation on, see stack_config/rotation.py), its storage and its `Container`. Postgres keeps its
data on a named Docker volume, or on a Hetzner `Volume` that survives the server (`VolumeAttachment` and a
remote mount step; the container refuses to start without the volume). Postgres's superuser is internal (a
password only for its first start, then none); apps get a role that owns their database and nothing more
(`<name>-postgres-roles`). Volumes are separate resources, so a new password, image or limit replaces a
container and never its data. No port is published, except
Postgres on 127.0.0.1 when asked for, for SSH tunnels.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import pulumi
import pulumi_docker as docker
import pulumi_hcloud as hcloud
import pulumi_random as random

from components.host import Host
from components.naming import Naming
from components.remote_steps import remote_step
from components.service_containers import (
    COOLIFY_NETWORK,
    LOG_OPTIONS,
    PGDATA,
    POSTGRES_DATA_DIR,
    POSTGRES_HEALTHCHECK,
    POSTGRES_HOST,
    POSTGRES_PORT,
    REDIS_HEALTHCHECK,
    REDIS_HOST,
    REDIS_PORT,
    VOLUME_MARKER,
    VOLUME_MOUNT_POINT,
    database_url,
    docker_ssh_options,
    postgres_on_volume_command,
    postgres_tunnel,
    redis_server_arguments,
    redis_url,
)
from stack_config.data_services import POSTGRES_SUPERUSER, DockerSettings, PostgresSettings, RedisSettings
from stack_config.protection import ProtectionSettings
from stack_config.rotation import RotationSettings, alternate_role, last_rotation, slot_in_use


@dataclass(frozen=True)
class DataServicesArgs:
    postgres: PostgresSettings
    redis: RedisSettings
    docker: DockerSettings
    host: Host
    """The server the services run on (a Hetzner Volume for Postgres is created in its location)."""
    protection: ProtectionSettings
    naming: Naming
    """Names and labels volumes on the server and at Hetzner."""
    after: Sequence[pulumi.Resource]
    """What must run before Docker is reached (a running Coolify, whose network the services join)."""
    rotation: RotationSettings = field(default_factory=RotationSettings)
    """How many times each password was rotated (0: never)."""


@dataclass(frozen=True)
class PostgresService:
    """The running database, for apps (`url`, `host`), operators (`tunnel`) and backups (container, user, database)."""

    container_name: str
    ready: pulumi.Resource
    """The step that gives apps their role: what uses the database as the app waits for it."""
    url: pulumi.Output[str]
    """For apps on Coolify's network (secret)."""
    host: str
    tunnel: pulumi.Output[str]
    """How an operator reaches the database from a laptop."""
    user: str
    database: str


@dataclass(frozen=True)
class RedisService:
    url: pulumi.Output[str]
    """For apps on Coolify's network (secret)."""
    host: str


def secret_assignment(name: str, value: pulumi.Output[str]) -> pulumi.Output[str]:
    """`NAME=value` for a container's environment, marked secret however the value arrived."""
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret.apply(lambda text: f"{name}={text}")


class ContainerSettings(TypedDict):
    """What both containers share: Coolify's network, restarts, limits, log rotation, labels."""

    networks_advanced: list[docker.ContainerNetworksAdvancedArgs]
    restart: str
    memory: int
    memory_swap: int
    log_driver: str
    log_opts: dict[str, str]
    labels: list[docker.ContainerLabelArgs]
    wait: bool
    wait_timeout: int


class DataServices(pulumi.ComponentResource):
    postgres: PostgresService | None
    redis: RedisService | None

    def __init__(self, name: str, args: DataServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:data:DataServices", name, None, opts)
        self._name = name
        self._args = args
        self._docker = docker.Provider(
            f"{name}-docker",
            host=pulumi.Output.concat("ssh://root@", args.host.ipv4_address),
            ssh_opts=args.host.host_key.apply(
                lambda host_key: docker_ssh_options(args.docker.ssh_identity_file, host_key)
            ),
            # Previews in CI hold no SSH key; a deploy reaches the daemon anyway when it acts on it.
            disable_docker_daemon_check=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        self.postgres = self._postgres(args.postgres) if args.postgres.enabled else None
        self.redis = self._redis(args.redis) if args.redis.enabled else None
        self.register_outputs(
            {
                "postgresHost": self.postgres.host if self.postgres else None,
                "redisHost": self.redis.host if self.redis else None,
            }
        )

    def _on_docker(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._docker, depends_on=list(depends_on))

    def _kept(self, on_docker: bool = True) -> pulumi.ResourceOptions:
        """Options of data stores: protected (and retained on delete) as configured."""
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._docker if on_docker else None,
            protect=self._args.protection.protect,
            retain_on_delete=self._args.protection.protect,
        )

    def _password(self, service: str, rotated_at: int = 0) -> random.RandomPassword:
        """`rotated_at`: the rotation that gave it its value. A changed keeper makes a new password ("Arbitrary map
        of values that, when changed, will trigger recreation of resource",
        pulumi/pulumi-random@v4.21.4:sdk/python/pulumi_random/random_password.py:38); none at 0 leaves the first
        deploy's password exactly as it was."""
        # Letters and digits only: the password goes into URLs and shell environments unquoted.
        return random.RandomPassword(
            f"{self._name}-{service}-password",
            length=32,
            special=False,
            keepers={"rotation": str(rotated_at)} if rotated_at else None,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _alternating_passwords(
        self, service: str, rotations: int
    ) -> tuple[random.RandomPassword, random.RandomPassword | None]:
        """The first deploy's password slot and, from the first rotation on, the second one; each renewed by every
        other rotation (stack_config/rotation.py)."""
        second_rotated_at = last_rotation(rotations, 1)
        return (
            self._password(service, last_rotation(rotations, 0) or 0),
            self._password(f"{service}-alternate", second_rotated_at) if second_rotated_at is not None else None,
        )

    def _image(self, service: str, image: str) -> docker.RemoteImage:
        """Pulled before the container starts; the container runs it by id, as the Docker provider asks
        (kreuzwerker/terraform-provider-docker@v4.5.0:internal/provider/resource_docker_container.go:141-146),
        so that a tag pulled again onto another image replaces the container (the policies follow the id
        back to this resource). Pulled again on a replaced server: nothing else tells the Docker provider
        that its daemon is a new one (pulumi/pulumi-terraform-bridge@v3.136.0:pkg/tfbridge/provider.go:841-894)."""
        return docker.RemoteImage(
            f"{self._name}-{service}-image",
            name=image,
            keep_locally=True,
            triggers={"server": pulumi.Output.from_input(self._args.host.server_id)},
            opts=self._on_docker(),
        )

    def _postgres(self, settings: PostgresSettings) -> PostgresService:
        # Two logins that alternate (stack_config/rotation.py): the app's role, and from the first rotation on a
        # second one acting as it. A rotation gives the login apps do not hold a new password; databaseUrl names it
        # once the roles step has set it.
        rotation = self._args.rotation.postgres
        password, alternate_password = self._alternating_passwords("postgres", rotation)
        alternate = (alternate_role(settings.user), alternate_password) if alternate_password else None
        # Only for the image's first start, which needs one; postgres-roles.sh then removes it.
        superuser_password = self._password("postgres-superuser")
        storage, ready = self._postgres_storage(settings)
        ports = (
            [docker.ContainerPortArgs(internal=POSTGRES_PORT, external=settings.local_port, ip="127.0.0.1")]
            if settings.local_port
            else []
        )
        container = docker.Container(
            f"{self._name}-postgres",
            name=POSTGRES_HOST,
            image=self._image("postgres", settings.image).image_id,
            command=postgres_on_volume_command() if settings.storage == "hetzner-volume" else None,
            envs=[
                f"POSTGRES_USER={POSTGRES_SUPERUSER}",
                f"POSTGRES_DB={settings.database}",
                f"PGDATA={PGDATA}",
                secret_assignment("POSTGRES_PASSWORD", superuser_password.result),
            ],
            volumes=[storage],
            ports=ports,
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=POSTGRES_HEALTHCHECK, interval="10s", timeout="5s", retries=5, start_period="30s"
            ),
            **self._container_settings(settings.memory_mb, POSTGRES_HOST),
            opts=pulumi.ResourceOptions.merge(
                self._on_docker(ready), pulumi.ResourceOptions(additional_secret_outputs=["envs"])
            ),
        )
        roles_inputs = {
            "CONTAINER": POSTGRES_HOST,
            "SUPERUSER": POSTGRES_SUPERUSER,
            "APP_USER": settings.user,
            "DATABASE": settings.database,
        }
        passwords: dict[str, pulumi.Input[str]] = {"POSTGRES_APP_PASSWORD": pulumi.Output.secret(password.result)}
        if alternate:
            roles_inputs["ALTERNATE_USER"] = alternate[0]
            passwords["POSTGRES_ALTERNATE_PASSWORD"] = pulumi.Output.secret(alternate[1].result)
        roles = remote_step(
            f"{self._name}-postgres-roles",
            self._args.host.access,
            "postgres-roles.sh",
            roles_inputs,
            parent=self,
            after=[container],
            secrets=passwords,
        )
        login, login_password = alternate if alternate and slot_in_use(rotation) else (settings.user, password)
        # After the roles step (its id), so that nothing reads a URL whose password the database does not know yet.
        url: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(login_password.result, roles.id).apply(
                lambda values: database_url(login, values[0], POSTGRES_HOST, POSTGRES_PORT, settings.database)
            )
        )
        return PostgresService(
            container_name=POSTGRES_HOST,
            ready=roles,
            url=url,
            host=f"{POSTGRES_HOST}:{POSTGRES_PORT}",
            tunnel=postgres_tunnel(self._args.host.logins.admin_user, self._args.host.ipv4_address, settings),
            user=settings.user,
            database=settings.database,
        )

    def _postgres_storage(self, settings: PostgresSettings) -> tuple[docker.ContainerVolumeArgs, list[pulumi.Resource]]:
        if settings.storage == "docker-volume":
            volume = docker.Volume(
                f"{self._name}-postgres-data",
                name=f"{self._args.naming.prefix}-postgres-data",
                labels=self._volume_labels(),
                opts=self._kept(),
            )
            return docker.ContainerVolumeArgs(volume_name=volume.name, container_path=POSTGRES_DATA_DIR), []
        disk = hcloud.Volume(
            f"{self._name}-postgres-volume",
            name=f"{self._args.naming.prefix}-postgres",
            size=settings.volume_size_gb,
            location=self._args.host.spec.location,
            format="ext4",
            delete_protection=self._args.protection.delete_protection,
            labels=dict(self._args.naming.labels),
            opts=self._kept(on_docker=False),
        )
        attachment = hcloud.VolumeAttachment(
            f"{self._name}-postgres-volume-attachment",
            volume_id=disk.id.apply(int),
            server_id=pulumi.Output.from_input(self._args.host.server_id).apply(int),
            automount=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        mounted = remote_step(
            f"{self._name}-postgres-volume-mount",
            self._args.host.access,
            "mount-volume.sh",
            disk.id.apply(
                lambda volume_id: {"VOLUME_ID": volume_id, "MOUNT_POINT": VOLUME_MOUNT_POINT, "MARKER": VOLUME_MARKER}
            ),
            parent=self,
            after=[attachment, *self._args.after],
        )
        return docker.ContainerVolumeArgs(host_path=VOLUME_MOUNT_POINT, container_path=POSTGRES_DATA_DIR), [mounted]

    def _redis(self, settings: RedisSettings) -> RedisService:
        # Two passwords that alternate (stack_config/rotation.py). From the first rotation on the container accepts
        # both, so the one apps hold keeps working through a rotation; the new one changes the container's
        # environment, which replaces the container, deleting the old one first (its name is unique on the host:
        # pulumi/pulumi-docker@v5.1.0:provider/resources.go:112-114). Clients reconnect through that restart.
        rotation = self._args.rotation.redis
        password, alternate = self._alternating_passwords("redis", rotation)
        envs = [secret_assignment("REDIS_PASSWORD", password.result)]
        if alternate:
            envs.append(secret_assignment("REDIS_ALTERNATE_PASSWORD", alternate.result))
        arguments = redis_server_arguments(settings.memory_mb, alternate_password=alternate is not None)
        volume = docker.Volume(
            f"{self._name}-redis-data",
            name=f"{self._args.naming.prefix}-redis-data",
            labels=self._volume_labels(),
            opts=self._kept(),
        )
        container = docker.Container(
            f"{self._name}-redis",
            name=REDIS_HOST,
            image=self._image("redis", settings.image).image_id,
            command=["sh", "-c", " ".join(["exec", "redis-server", *arguments])],
            envs=envs,
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path="/data")],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=REDIS_HEALTHCHECK, interval="10s", timeout="5s", retries=5, start_period="10s"
            ),
            **self._container_settings(settings.memory_mb, REDIS_HOST),
            opts=pulumi.ResourceOptions.merge(
                self._on_docker(), pulumi.ResourceOptions(additional_secret_outputs=["envs"])
            ),
        )
        in_use = alternate if alternate and slot_in_use(rotation) else password
        # After the container (its id): it accepts the new password only once it runs with it.
        url: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(in_use.result, container.id).apply(
                lambda values: redis_url(values[0], REDIS_HOST, REDIS_PORT)
            )
        )
        return RedisService(url=url, host=f"{REDIS_HOST}:{REDIS_PORT}")

    def _container_settings(self, memory_mb: int, alias: str) -> ContainerSettings:
        return ContainerSettings(
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=COOLIFY_NETWORK, aliases=[alias])],
            restart="unless-stopped",
            memory=memory_mb,
            # No swap. Left out, Docker reports twice the memory as the swap limit and the provider reads it
            # back into a key the program does not set: an update on every run
            # (kreuzwerker/terraform-provider-docker@v4.5.0:internal/provider/resource_docker_container.go:856-861,
            # resource_docker_container_funcs.go:940-944).
            memory_swap=memory_mb,
            log_driver="json-file",
            log_opts=LOG_OPTIONS,
            # The server's id as a label (a change of labels replaces a container,
            # kreuzwerker/terraform-provider-docker@v4.5.0:internal/provider/resource_docker_container.go:833-837):
            # a replaced server gets its containers again.
            labels=[
                *(docker.ContainerLabelArgs(label=key, value=value) for key, value in self._docker_labels().items()),
                docker.ContainerLabelArgs(
                    label="hetzner-coolify.server", value=pulumi.Output.from_input(self._args.host.server_id)
                ),
            ],
            # Creation waits for the healthcheck: a broken database fails `pulumi up`, not the first app.
            wait=True,
            wait_timeout=180,
        )

    def _docker_labels(self) -> dict[str, str]:
        return {f"hetzner-coolify.{key}": value for key, value in self._args.naming.labels.items()}

    def _volume_labels(self) -> list[docker.VolumeLabelArgs]:
        return [docker.VolumeLabelArgs(label=key, value=value) for key, value in self._docker_labels().items()]
