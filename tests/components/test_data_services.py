"""The data services on their host, once Coolify runs: private networking, storage that outlives containers,
secret passwords."""

import functools
import json
import re
from typing import Any

import pulumi
import pytest

from components.service_containers import PGDATA
from preview.changes import changes
from preview.engine import RecordedResource, RecordedStack
from preview.engine import record as record_program
from preview.mocks import FAKE_HOST_KEY, ApplyMocks, PlanMocks
from preview.values import UNKNOWN, Secret, reveal
from stack_config import StackConfig, load_stack_config
from tests.components.conftest import data_services, observe, record_components, running_coolify
from tests.conftest import NAMESPACE, STACKS, stack_settings

CONTAINERS = ("data-postgres", "data-redis")


def build(config: StackConfig) -> None:
    main, installed = running_coolify(config)
    data = data_services(config, main, installed)
    observe("host", main, "server_id", "ipv4_address")
    if data.postgres:
        observe("postgres", data.postgres, "url", "host", "tunnel")
    if data.redis:
        observe("redis", data.redis, "url", "host")


def record(
    stack: str, changes: dict[str, Any] | None = None, mocks: pulumi.runtime.Mocks | None = None
) -> RecordedStack:
    return record_components(build, stack, changes, mocks=mocks)


@functools.cache
def recorded(stack: str, mode: str = "apply") -> RecordedStack:
    return record(stack, mocks=PlanMocks() if mode == "plan" else None)


def envs(resource: RecordedResource) -> dict[str, str]:
    entries = resource.inputs["envs"]
    assert isinstance(entries, Secret), "envs carry passwords: the whole list must be secret"
    return dict(entry.split("=", 1) for entry in entries.value)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("container", CONTAINERS)
def test_containers_are_private_to_coolifys_network(stack: str, container: str) -> None:
    resource = recorded(stack, "apply").named(container)
    assert resource.inputs.get("ports", []) == []
    (network,) = resource.inputs["networksAdvanced"]
    name = resource.inputs["name"]
    assert (name, network) == (f"app-{container.removeprefix('data-')}", {"name": "coolify", "aliases": [name]})
    # Coolify's own services on that network (coollabsio/coolify@v4.3.10:docker-compose.yml:2,14,20,26).
    assert name not in ("coolify", "postgres", "redis", "soketi")
    assert resource.inputs["restart"] == "unless-stopped"
    assert resource.inputs["logOpts"] == {"max-size": "10m", "max-file": "3"}
    assert resource.inputs["wait"] is True
    assert "envs" in resource.additional_secret_outputs


def test_postgres_may_listen_on_loopback_for_tunnels() -> None:
    recording = record("staging", {"postgres": {"localPort": 15432}})
    assert recording.named("data-postgres").inputs["ports"] == [
        {"internal": 5432, "external": 15432, "ip": "127.0.0.1"}
    ]
    assert recording.outputs["postgres.tunnel"].startswith(
        f"ssh -N -L 5432:127.0.0.1:15432 ops@{recording.outputs['host.ipv4_address']}"
    )


def test_postgres_settings_and_healthcheck() -> None:
    postgres = recorded("staging", "apply").named("data-postgres")
    settings = envs(postgres)
    # The image's bootstrap superuser is internal; the app's role is made by the roles step.
    assert (settings["POSTGRES_USER"], settings["POSTGRES_DB"]) == ("postgres", "app")
    assert settings["PGDATA"] == PGDATA
    assert len(settings["POSTGRES_PASSWORD"]) == 32
    # A docker volume is always there: the image's own command.
    assert "command" not in postgres.inputs
    assert postgres.inputs["healthcheck"]["tests"] == [
        "CMD-SHELL",
        'pg_isready -q -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
    ]
    assert postgres.inputs["memory"] == 1024


def test_containers_run_their_pulled_image_by_id() -> None:
    """By id, so that a tag pulled again onto another image replaces the container."""
    recording = recorded("staging", "apply")
    for service, tag in (("postgres", "postgres:17.6-bookworm"), ("redis", "redis:7.4.6-bookworm")):
        container, image = recording.named(f"data-{service}"), recording.named(f"data-{service}-image")
        assert image.inputs["name"] == tag
        assert container.property_dependencies["image"] == (image.urn,)
        assert str(container.inputs["image"]).startswith("sha256:")


def test_redis_password_stays_out_of_the_command() -> None:
    redis = recorded("staging", "apply").named("data-redis")
    password = envs(redis)["REDIS_PASSWORD"]
    command = " ".join(redis.inputs["command"])
    assert password not in command
    assert '--requirepass "$REDIS_PASSWORD"' in command
    assert "--appendonly yes" in command and "--maxmemory 192mb" in command
    assert password not in " ".join(redis.inputs["healthcheck"]["tests"])
    assert redis.inputs["volumes"] == [{"volumeName": "hetzner-coolify-staging-redis-data", "containerPath": "/data"}]


def test_staging_keeps_postgres_on_an_unprotected_docker_volume() -> None:
    recording = recorded("staging", "apply")
    volume = recording.named("data-postgres-data")
    assert volume.type == "docker:index/volume:Volume"
    assert (volume.protect, volume.retain_on_delete) == (False, False)
    assert recording.named("data-postgres").inputs["volumes"] == [
        {"volumeName": "hetzner-coolify-staging-postgres-data", "containerPath": "/var/lib/postgresql/data"}
    ]
    assert recording.of_type("hcloud:index/volume:Volume") == []


def test_production_keeps_postgres_on_a_protected_hetzner_volume() -> None:
    recording = recorded("production", "apply")
    disk = recording.named("data-postgres-volume")
    assert (disk.protect, disk.retain_on_delete) == (True, True)
    assert disk.inputs | {"labels": None} == {
        "name": "hetzner-coolify-production-postgres", "size": 100, "location": "nbg1", "format": "ext4",
        "deleteProtection": True, "labels": None,
    }  # fmt: skip
    attachment = recording.named("data-postgres-volume-attachment")
    assert attachment.inputs["automount"] is False
    mount = recording.named("data-postgres-volume-mount")
    assert re.fullmatch(
        r"VOLUME_ID=\d+ MOUNT_POINT=/mnt/hetzner-coolify/postgres MARKER=\.hetzner-coolify-volume bash -s",
        mount.inputs["create"],
    )
    assert disk.urn in mount.dependencies
    assert attachment.urn in mount.dependencies
    postgres = recording.named("data-postgres")
    assert mount.urn in postgres.dependencies
    assert postgres.inputs["volumes"] == [
        {"hostPath": "/mnt/hetzner-coolify/postgres", "containerPath": "/var/lib/postgresql/data"}
    ]
    # Started only where the mount step's marker is: on the volume, never on the root disk beneath it.
    assert postgres.inputs["command"] == [
        "sh", "-c",
        "if [ ! -f /var/lib/postgresql/data/.hetzner-coolify-volume ]; then echo 'the Hetzner Volume is not mounted at "
        "/mnt/hetzner-coolify/postgres: refusing to start on the root disk' >&2; exit 1; fi; "
        "exec docker-entrypoint.sh postgres",
    ]  # fmt: skip
    redis_volume = recording.named("data-redis-data")
    assert (redis_volume.protect, redis_volume.retain_on_delete) == (True, True)


@pytest.mark.parametrize("stack", STACKS)
def test_docker_is_reached_over_ssh_once_coolify_is_ready(stack: str) -> None:
    recording = recorded(stack, "apply")
    provider = recording.named("data-docker")
    assert provider.inputs["host"] == f"ssh://root@{recording.outputs['host.ipv4_address']}"
    assert provider.inputs["disableDockerDaemonCheck"] == "true"  # previews need no SSH key
    assert recording.named("coolify-direct-ports").urn in provider.dependencies
    for name in (*CONTAINERS, "data-postgres-image", "data-redis-image"):
        assert recording.named(name).provider.startswith(provider.urn)


def test_an_identity_file_goes_to_the_system_ssh() -> None:
    provider = record("staging", {"docker": {"sshIdentityFile": "/home/ci/.ssh/deploy"}}).named("data-docker")
    # Provider settings that are not strings travel JSON-encoded.
    assert json.loads(provider.inputs["sshOpts"])[-4:] == ["-i", "/home/ci/.ssh/deploy", "-o", "IdentitiesOnly=yes"]


def test_docker_reaches_the_server_only_with_the_host_key_first_contact_recorded() -> None:
    recording = recorded("staging", "apply")
    provider = recording.named("data-docker")
    options = json.loads(provider.inputs["sshOpts"])
    assert f"KnownHostsCommand=/bin/echo hetzner-coolify-server {FAKE_HOST_KEY}" in options
    assert "StrictHostKeyChecking=yes" in options
    assert recording.named("host-wait-for-ssh").urn in provider.property_dependencies["sshOpts"]


def test_urls_for_apps_are_secret_and_use_the_generated_passwords() -> None:
    mocks = ApplyMocks()
    outputs = record("staging", mocks=mocks).outputs
    postgres_password, redis_password = (
        mocks.generated["data-postgres-password"],
        mocks.generated["data-redis-password"],
    )
    assert postgres_password.isalnum() and redis_password.isalnum()
    assert outputs["postgres.url"] == Secret(f"postgresql://app:{postgres_password}@app-postgres:5432/app")
    assert outputs["redis.url"] == Secret(f"redis://default:{redis_password}@app-redis:6379/0")
    assert (outputs["postgres.host"], outputs["redis.host"]) == ("app-postgres:5432", "app-redis:6379")


def test_changing_image_or_limits_never_touches_the_data() -> None:
    before = record("production")
    after = record("production", {"postgres": {"image": "postgres:17.7-bookworm", "memoryMb": 2048},
                                  "redis": {"memoryMb": 512}})  # fmt: skip
    for name in ("data-postgres-volume", "data-redis-data"):
        assert before.named(name).inputs == after.named(name).inputs, name
    assert before.named("data-postgres").inputs["image"] != after.named("data-postgres").inputs["image"]


@pytest.mark.parametrize(("service", "gone"), [("postgres", "data-postgres"), ("redis", "data-redis")])
def test_each_service_can_be_turned_off(service: str, gone: str) -> None:
    recording = record("staging", {service: {"enabled": False}})
    assert gone not in {resource.name for resource in recording.resources}
    assert ("postgres.url" if service == "postgres" else "redis.url") not in recording.outputs


def test_in_preview_passwords_are_unknown_and_secret() -> None:
    outputs: dict[str, Any] = recorded("production", "plan").outputs
    assert outputs["postgres.url"] == Secret(UNKNOWN)
    assert outputs["redis.url"] == Secret(UNKNOWN)


def test_apps_get_their_own_role_after_the_container_starts_and_the_superuser_stays_internal() -> None:
    mocks = ApplyMocks()
    recording = record("staging", mocks=mocks)
    roles, postgres = recording.named("data-postgres-roles"), recording.named("data-postgres")
    assert postgres.urn in roles.dependencies
    assert roles.inputs["create"] == ("CONTAINER=app-postgres SUPERUSER=postgres APP_USER=app DATABASE=app bash -s")
    assert roles.inputs["environment"] == Secret({"POSTGRES_APP_PASSWORD": mocks.generated["data-postgres-password"]})
    # The superuser's password only starts the image; apps never see it.
    superuser_password = mocks.generated["data-postgres-superuser-password"]
    assert envs(postgres)["POSTGRES_PASSWORD"] == superuser_password
    assert superuser_password not in str(reveal(recording.outputs))
    assert recording.outputs["postgres.url"] == Secret(
        f"postgresql://app:{mocks.generated['data-postgres-password']}@app-postgres:5432/app"
    )


def rotated(postgres: int, mocks: pulumi.runtime.Mocks | None = None) -> RecordedStack:
    return record("staging", {"rotation": {"postgres": postgres}}, mocks=mocks)


def keepers(recording: RecordedStack, name: str) -> Any:
    return recording.named(name).inputs.get("keepers")


def test_before_any_rotation_the_passwords_and_the_roles_step_are_as_first_deployed() -> None:
    """Counter 0 adds no keeper and no second login: a deployed stack sees no change to its passwords."""
    recording = recorded("staging", "apply")
    assert keepers(recording, "data-postgres-password") is None
    assert "data-postgres-alternate-password" not in {resource.name for resource in recording.resources}
    assert "ALTERNATE_USER" not in recording.named("data-postgres-roles").inputs["create"]


@pytest.mark.parametrize(
    ("counter", "app_keepers", "alternate_keepers", "login"),
    [
        (1, None, {"rotation": "1"}, "app_alternate"),
        (2, {"rotation": "2"}, {"rotation": "1"}, "app"),
        (3, {"rotation": "2"}, {"rotation": "3"}, "app_alternate"),
        (4, {"rotation": "4"}, {"rotation": "3"}, "app"),
    ],
)
def test_each_rotation_renews_the_login_apps_do_not_hold_and_points_the_url_at_it(
    counter: int, app_keepers: Any, alternate_keepers: Any, login: str
) -> None:
    mocks = ApplyMocks()
    recording = rotated(counter, mocks)
    assert (keepers(recording, "data-postgres-password"), keepers(recording, "data-postgres-alternate-password")) == (
        app_keepers,
        alternate_keepers,
    )
    roles = recording.named("data-postgres-roles")
    assert roles.inputs["create"] == (
        "CONTAINER=app-postgres SUPERUSER=postgres APP_USER=app DATABASE=app ALTERNATE_USER=app_alternate bash -s"
    )
    assert roles.inputs["environment"] == Secret(
        {
            "POSTGRES_APP_PASSWORD": mocks.generated["data-postgres-password"],
            "POSTGRES_ALTERNATE_PASSWORD": mocks.generated["data-postgres-alternate-password"],
        }
    )
    password = mocks.generated["data-postgres-alternate-password" if login != "app" else "data-postgres-password"]
    assert recording.outputs["postgres.url"] == Secret(f"postgresql://{login}:{password}@app-postgres:5432/app")


def test_the_roles_step_sets_both_passwords_it_is_sent() -> None:
    recording = rotated(1)
    environment = recording.named("data-postgres-roles").property_dependencies["environment"]
    for password in ("data-postgres-password", "data-postgres-alternate-password"):
        assert recording.named(password).urn in environment, password


class RolesStepToRun(ApplyMocks):
    """As the update that rotates, before the roles step has run: its outcome is not known yet."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        return ("" if args.name == "data-postgres-roles" else resource_id), state


def test_the_url_names_the_new_password_only_once_the_roles_step_has_set_it() -> None:
    settings = stack_settings("staging", {"rotation": {"postgres": 1}})
    config = load_stack_config(NAMESPACE, "staging", settings.config, settings.secret_keys)
    recording = record_program(lambda: build(config), settings, RolesStepToRun(), preview=True)
    assert recording.outputs["postgres.url"] == Secret(UNKNOWN)
    # Only the roles step holds it back: the passwords themselves are known.
    assert recording.outputs["postgres.host"] == "app-postgres:5432"


def test_the_second_login_keeps_to_a_plain_sql_name() -> None:
    longest = "u" * 63
    recording = record("staging", {"postgres": {"user": longest}, "rotation": {"postgres": 1}})
    create = recording.named("data-postgres-roles").inputs["create"]
    assert f"ALTERNATE_USER={'u' * 53}_alternate " in create


def test_before_any_rotation_redis_runs_as_first_deployed() -> None:
    redis = recorded("staging", "apply").named("data-redis")
    assert keepers(recorded("staging", "apply"), "data-redis-password") is None
    assert list(envs(redis)) == ["REDIS_PASSWORD"]
    assert redis.inputs["command"][2].startswith('exec redis-server --requirepass "$REDIS_PASSWORD" --appendonly')


@pytest.mark.parametrize(("counter", "in_use"), [(1, "data-redis-alternate-password"), (2, "data-redis-password")])
def test_from_the_first_redis_rotation_the_container_accepts_both_passwords(counter: int, in_use: str) -> None:
    mocks = ApplyMocks()
    recording = record("staging", {"rotation": {"redis": counter}}, mocks=mocks)
    redis = recording.named("data-redis")
    assert envs(redis) == {
        "REDIS_PASSWORD": mocks.generated["data-redis-password"],
        "REDIS_ALTERNATE_PASSWORD": mocks.generated["data-redis-alternate-password"],
    }
    command = redis.inputs["command"][2]
    assert command.startswith(
        'exec redis-server --user default on ">$REDIS_PASSWORD" ">$REDIS_ALTERNATE_PASSWORD" "~*" "&*" "+@all" '
        "--appendonly yes"
    )
    assert "requirepass" not in command
    for password in envs(redis).values():
        assert password not in command
    # The healthcheck logs in with the first slot's password, which the container accepts at every counter.
    assert redis.inputs["healthcheck"]["tests"] == [
        "CMD-SHELL",
        'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG',
    ]
    assert recording.outputs["redis.url"] == Secret(f"redis://default:{mocks.generated[in_use]}@app-redis:6379/0")
    assert keepers(recording, "data-redis-alternate-password") == {"rotation": "1"}
    assert keepers(recording, "data-redis-password") == ({"rotation": "2"} if counter == 2 else None)


class RedisNotReplacedYet(ApplyMocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        return ("" if args.name == "data-redis" else resource_id), state


def test_the_redis_url_names_the_new_password_only_once_the_container_accepts_it() -> None:
    settings = stack_settings("staging", {"rotation": {"redis": 1}})
    config = load_stack_config(NAMESPACE, "staging", settings.config, settings.secret_keys)
    recording = record_program(lambda: build(config), settings, RedisNotReplacedYet(), preview=True)
    assert recording.outputs["redis.url"] == Secret(UNKNOWN)
    assert recording.outputs["redis.host"] == "app-redis:6379"


@pytest.mark.parametrize(
    ("counter", "plan"),
    [
        # The second login's name is a new input of the step: a new run of it (its triggers change).
        (1, [("create", "data-postgres-alternate-password", False), ("replace", "data-postgres-roles", False)]),
        (2, [("replace", "data-postgres-password", False), ("update", "data-postgres-roles", False)]),
    ],
)
def test_a_postgres_rotation_sets_the_new_password_in_the_database_and_touches_nothing_else(
    counter: int, plan: list[tuple[str, str, bool]]
) -> None:
    """The plan of `pulumi up` raising rotation.postgres by one: the container, and so the data, is not touched."""
    before, after = rotated(counter - 1), rotated(counter)
    found = [(change.action, change.resource.name, change.deleted_first) for change in changes(before, after)]
    assert found == plan


@pytest.mark.parametrize(
    ("counter", "plan"),
    [
        (1, [("create", "data-redis-alternate-password", False), ("replace", "data-redis", True)]),
        (2, [("replace", "data-redis-password", False), ("replace", "data-redis", True)]),
    ],
)
def test_a_redis_rotation_replaces_only_the_container_and_keeps_its_volume(
    counter: int, plan: list[tuple[str, str, bool]]
) -> None:
    before, after = (record("staging", {"rotation": {"redis": value}}) for value in (counter - 1, counter))
    found = [(change.action, change.resource.name, change.deleted_first) for change in changes(before, after)]
    assert found == plan
