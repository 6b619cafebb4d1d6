"""docker-container-disallow-image-default-credentials, through the pack: a stack policy, since a container that
runs its image by id is judged by the RemoteImage the id came from. Each image passes with the setting that replaces
its default credentials and is refused, naming the image's documentation, without it."""

from typing import Any

import pytest

from preview.analyzer import PolicyPackProcess
from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check, Resource, _diagnoser
from tests.policies.guardrails.rules.containers import CONTAINER, STRONG, postgres

POLICY = "docker-container-disallow-image-default-credentials"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
IMAGE_ID = "sha256:5f1b6e7a0c3d9e8f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f"

RABBITMQ = "rabbitmq:3.13.7-management"
MINIO = "minio/minio:RELEASE.2024-10-13T13-34-11Z"
GRAFANA = "grafana/grafana:11.2.2"
MONGO = "mongo:7.0.14"
MYSQL = "mysql:8.4.2"
MARIADB = "mariadb:11.4.3"

RABBITMQ_DOCS = "https://hub.docker.com/_/rabbitmq (Setting default user and password)"
MINIO_DOCS = "https://min.io/docs/minio/linux/reference/minio-server/settings/root-credentials.html"
GRAFANA_DOCS = "https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#admin_password"
MONGO_DOCS = "https://hub.docker.com/_/mongo (MONGO_INITDB_ROOT_PASSWORD)"
MYSQL_DOCS = "https://hub.docker.com/_/mysql (MYSQL_ALLOW_EMPTY_PASSWORD)"
MARIADB_DOCS = "https://hub.docker.com/_/mariadb (MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)"
POSTGRES_DOCS = "https://hub.docker.com/_/postgres (POSTGRES_HOST_AUTH_METHOD)"


def service(image: Any, *envs: Any, name: str = "service", **props: Any) -> Resource:
    return Resource(CONTAINER, {"image": image, "envs": list(envs), **props}, name=name)


def refused(reference: str, problem: str, source: str, name: str = "service") -> str:
    return f"{name} ({reference}) {problem} ({source}); set a generated secret."


RABBITMQ_GUEST = refused(
    RABBITMQ, "sets no RABBITMQ_DEFAULT_PASS, so the image's user guest/guest logs in from anywhere", RABBITMQ_DOCS
)


@pytest.mark.parametrize(
    "resource",
    [
        service(RABBITMQ, "RABBITMQ_DEFAULT_USER=app", f"RABBITMQ_DEFAULT_PASS={STRONG}"),
        service(RABBITMQ, "RABBITMQ_DEFAULT_PASS_FILE=/run/secrets/rabbitmq"),
        service(RABBITMQ, Secret(f"RABBITMQ_DEFAULT_PASS={STRONG}")),
        service(MINIO, "MINIO_ROOT_USER=app", f"MINIO_ROOT_PASSWORD={STRONG}"),
        service(MINIO, "MINIO_ROOT_PASSWORD_FILE=/run/secrets/minio"),
        service(MINIO, "MINIO_ACCESS_KEY=app", f"MINIO_SECRET_KEY={STRONG}"),
        service(GRAFANA, f"GF_SECURITY_ADMIN_PASSWORD={STRONG}"),
        service(GRAFANA, "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana"),
        service(MONGO, "MONGO_INITDB_ROOT_USERNAME=root", f"MONGO_INITDB_ROOT_PASSWORD={STRONG}"),
        service(MONGO, "MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/mongo"),
        service(MONGO, command=["mongod", "--auth"]),
        service(MYSQL, f"MYSQL_ROOT_PASSWORD={STRONG}"),
        service(MYSQL, "MYSQL_RANDOM_ROOT_PASSWORD=yes"),
        # With a root password given, the image never reads MYSQL_ALLOW_EMPTY_PASSWORD.
        service(MYSQL, "MYSQL_ALLOW_EMPTY_PASSWORD=yes", f"MYSQL_ROOT_PASSWORD={STRONG}"),
        service(MARIADB, f"MARIADB_ROOT_PASSWORD={STRONG}"),
        postgres(),
        postgres(envs=[f"POSTGRES_PASSWORD={STRONG}", "POSTGRES_HOST_AUTH_METHOD=md5"]),
        postgres(envs=[f"POSTGRES_PASSWORD={STRONG}", "POSTGRES_HOST_AUTH_METHOD=scram-sha-256"]),
        service("nginx:1.27.2"),
    ],
    ids=["rabbitmq-password", "rabbitmq-password-file", "rabbitmq-secret-password", "minio-root",
         "minio-root-password-file", "minio-legacy-secret-key", "grafana-password", "grafana-password-file",
         "mongo-root", "mongo-root-password-file", "mongo-auth-flag", "mysql-root", "mysql-random-root",
         "mysql-allowed-empty-but-given", "mariadb-root", "postgres-password", "postgres-md5", "postgres-scram",
         "unrelated-image"],
)  # fmt: skip
def test_images_with_their_credentials_replaced_pass(check_stack: Check, resource: Resource) -> None:
    assert check_stack(POLICY, resource) == []


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (service(RABBITMQ), RABBITMQ_GUEST),
        # A user of its own does not help: the image still gives it the password guest.
        (service(RABBITMQ, "RABBITMQ_DEFAULT_USER=app"), RABBITMQ_GUEST),
        (service(RABBITMQ, "RABBITMQ_DEFAULT_PASS="), RABBITMQ_GUEST),
        (
            service(MINIO, "MINIO_ROOT_USER=app"),
            refused(MINIO, "sets no MINIO_ROOT_PASSWORD, so the root login is minioadmin/minioadmin", MINIO_DOCS),
        ),
        (
            service("quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z"),
            refused(
                "quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z",
                "sets no MINIO_ROOT_PASSWORD, so the root login is minioadmin/minioadmin",
                MINIO_DOCS,
            ),
        ),
        (
            service(GRAFANA, "GF_SECURITY_ADMIN_USER=admin"),
            refused(GRAFANA, "sets no GF_SECURITY_ADMIN_PASSWORD, so the admin login is admin/admin", GRAFANA_DOCS),
        ),
        (
            service(MONGO, "MONGO_INITDB_ROOT_USERNAME=root"),
            refused(
                MONGO,
                "sets no MONGO_INITDB_ROOT_PASSWORD, so mongod starts without authentication: any client is admin",
                MONGO_DOCS,
            ),
        ),
        (
            service(MYSQL, "MYSQL_ALLOW_EMPTY_PASSWORD=yes"),
            refused(MYSQL, "sets MYSQL_ALLOW_EMPTY_PASSWORD=yes, so root logs in without a password", MYSQL_DOCS),
        ),
        (
            service(MARIADB, "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1"),
            refused(
                MARIADB, "sets MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1, so root logs in without a password", MARIADB_DOCS
            ),
        ),
        (
            postgres(envs=["POSTGRES_HOST_AUTH_METHOD=trust"]),
            refused(
                "postgres:16.4",
                "sets POSTGRES_HOST_AUTH_METHOD=trust, so password authentication is off",
                POSTGRES_DOCS,
                name="postgres",
            ),
        ),
        (
            # A password set beside trust is never asked for.
            postgres(envs=[f"POSTGRES_PASSWORD={STRONG}", "POSTGRES_HOST_AUTH_METHOD=Trust"]),
            refused(
                "postgres:16.4",
                "sets POSTGRES_HOST_AUTH_METHOD=Trust, so password authentication is off",
                POSTGRES_DOCS,
                name="postgres",
            ),
        ),
    ],
    ids=["rabbitmq-guest", "rabbitmq-user-only", "rabbitmq-empty-password", "minio-user-only", "minio-quay",
         "grafana-admin", "mongo-no-password", "mysql-empty-root", "mariadb-empty-root", "postgres-trust",
         "postgres-trust-beside-password"],
)  # fmt: skip
def test_images_on_their_default_credentials_are_refused(check_stack: Check, resource: Resource, expected: str) -> None:
    assert check_stack(POLICY, resource) == [expected]


def rabbitmq_image(name: str = RABBITMQ, **props: Any) -> Resource:
    return Resource(REMOTE_IMAGE, {"name": name, **props}, name="rabbitmq-image")


def by_id(image: Resource, *envs: str, image_id: Any = IMAGE_ID) -> Resource:
    """A container that runs `image` by id, as the Docker provider recommends (image=RemoteImage.image_id)."""
    return Resource(
        CONTAINER,
        {"image": image_id, "envs": list(envs)},
        name="service",
        property_dependencies={"image": (image.urn,)},
    )


@pytest.mark.parametrize("image_id", [IMAGE_ID, UNKNOWN], ids=["id", "id-unknown-in-preview"])
def test_an_image_run_by_id_is_judged_by_its_remote_image(check_stack: Check, image_id: Any) -> None:
    image = rabbitmq_image()
    assert check_stack(POLICY, image, by_id(image, image_id=image_id)) == [RABBITMQ_GUEST]
    assert check_stack(POLICY, image, by_id(image, f"RABBITMQ_DEFAULT_PASS={STRONG}", image_id=image_id)) == []


def test_an_id_without_dependencies_is_found_through_the_remote_image_that_holds_it(check_stack: Check) -> None:
    # A state written before the program named its RemoteImage holds the id alone.
    image = rabbitmq_image(imageId=IMAGE_ID)
    assert check_stack(POLICY, image, service(IMAGE_ID)) == [RABBITMQ_GUEST]


def test_an_id_of_an_unrelated_image_passes(check_stack: Check) -> None:
    image = rabbitmq_image("nginx:1.27.2")
    assert check_stack(POLICY, image, by_id(image)) == []


def test_an_image_built_here_is_judged_by_its_name(check_stack: Check) -> None:
    built = Resource(
        "docker:index/image:Image", {"imageName": "registry.example.com/team/grafana:11.2.2"}, name="grafana-build"
    )
    container = Resource(
        CONTAINER, {"image": UNKNOWN, "envs": []}, name="service", property_dependencies={"image": (built.urn,)}
    )
    assert check_stack(POLICY, built, container) == [
        refused(
            "registry.example.com/team/grafana:11.2.2",
            "sets no GF_SECURITY_ADMIN_PASSWORD, so the admin login is admin/admin",
            GRAFANA_DOCS,
        )
    ]


@pytest.mark.parametrize(
    "resource",
    [
        service(RABBITMQ, "RABBITMQ_DEFAULT_USER=app", UNKNOWN),
        Resource(CONTAINER, {"image": RABBITMQ, "envs": UNKNOWN}, name="service"),
        service(MYSQL, "MYSQL_ALLOW_EMPTY_PASSWORD=yes", UNKNOWN),
    ],
    ids=["unknown-entry", "unknown-envs", "unknown-beside-a-known-problem"],
)
def test_unknown_environments_are_left_to_the_update(check_stack: Check, resource: Resource) -> None:
    # In a preview a generated entry is unknown: it may be the password the rule would miss, so nothing is judged.
    assert check_stack(POLICY, resource) == []


@pytest.mark.parametrize(
    ("image", "setting", "expected"),
    [
        # The image tests for a non-empty value, not for yes: `no` allows the empty password too.
        (MYSQL, "MYSQL_ALLOW_EMPTY_PASSWORD=no", refused(
            MYSQL, "sets MYSQL_ALLOW_EMPTY_PASSWORD=no, so root logs in without a password", MYSQL_DOCS)),
        # MariaDB's image still reads the MYSQL_ names.
        (MARIADB, "MYSQL_ALLOW_EMPTY_PASSWORD=yes", refused(
            MARIADB, "sets MYSQL_ALLOW_EMPTY_PASSWORD=yes, so root logs in without a password", MYSQL_DOCS)),
    ],
    ids=["mysql-no-is-still-set", "mariadb-legacy-name"],
)  # fmt: skip
def test_empty_root_passwords_are_refused_whatever_the_spelling(
    check_stack: Check, image: str, setting: str, expected: str
) -> None:
    assert check_stack(POLICY, service(image, setting)) == [expected]


def test_every_container_is_judged_on_its_own(check_stack: Check) -> None:
    queue = service(RABBITMQ, name="queue")
    metrics = service(GRAFANA, name="metrics")
    store = service(MINIO, f"MINIO_ROOT_PASSWORD={STRONG}", name="store")
    assert check_stack(POLICY, queue, store, metrics) == [
        refused(RABBITMQ, "sets no RABBITMQ_DEFAULT_PASS, so the image's user guest/guest logs in from anywhere",
                RABBITMQ_DOCS, name="queue"),
        refused(GRAFANA, "sets no GF_SECURITY_ADMIN_PASSWORD, so the admin login is admin/admin", GRAFANA_DOCS,
                name="metrics"),
    ]  # fmt: skip


def test_the_diagnostic_is_attributed_to_the_container(pack: PolicyPackProcess, settings: Any) -> None:
    # A stack policy's diagnostic names the stack unless the rule names a resource; the engine shows it there.
    queue = service(RABBITMQ, name="queue")
    found = _diagnoser(pack, settings, whole_stack=True)(POLICY, queue)
    assert [(item.urn, item.level) for item in found] == [(queue.urn, "mandatory")]
