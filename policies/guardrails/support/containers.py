"""Reading pulumi-docker containers and their images, shared by the container policies.

A container names its image by reference (`postgres:17.6`) or by id (`RemoteImage.image_id`, `sha256:...`),
which the Docker provider recommends (kreuzwerker/terraform-provider-docker@v4.5.0:internal/provider/
resource_docker_container.go:141-146) and which says nothing about what the image is. An id is resolved
through the resource it came from: the `RemoteImage` (its `name`) or an image the program builds itself.
Only a stack policy sees that resource, so the policies that judge a container by its image are stack
policies.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from .properties import UNKNOWN, env_pairs, get, items

CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
# Images the program builds itself, with the property that holds their references.
BUILT_IMAGES = {"docker:index/image:Image": "imageName", "docker-build:index:Image": "tags"}

FAMILIES = {
    "postgres": frozenset({"postgres", "postgis", "timescaledb", "timescaledb-ha", "pgvector", "postgresql"}),
    "redis": frozenset({"redis", "valkey", "keydb", "redis-stack-server", "redis-stack"}),
    "rabbitmq": frozenset({"rabbitmq"}),
    "minio": frozenset({"minio"}),
    "mongo": frozenset({"mongo", "mongodb", "mongodb-community-server"}),
    "mysql": frozenset({"mysql", "mariadb", "percona-server"}),
    "grafana": frozenset({"grafana", "grafana-oss", "grafana-enterprise"}),
}
# Images that hold data: a port of theirs is a data port, whatever its number.
DATA_FAMILIES = frozenset({"postgres", "redis", "rabbitmq", "minio", "mongo", "mysql"})
# Names Coolify's own services answer to on its `coolify` network: the compose services
# (coollabsio/coolify@v4.3.10:docker-compose.prod.yml:2,41,53,64), their containers (docker-compose.yml:3,16,22,27),
# the proxy (bootstrap/helpers/proxy.php:281) and Sentinel (app/Actions/Server/StartSentinel.php:51).
COOLIFY_NETWORK = "coolify"
COOLIFY_SERVICE_NAMES = frozenset(
    {"coolify", "postgres", "redis", "soketi", "coolify-db", "coolify-redis", "coolify-realtime", "coolify-proxy",
     "coolify-sentinel"}
)  # fmt: skip


@dataclass(frozen=True)
class Image:
    """What a container runs: its reference ('' when unknown) and whether this program builds it."""

    reference: str
    built_here: bool = False

    @property
    def name(self) -> str:
        """'docker.io/library/postgres:16@sha256:..' -> 'postgres'; '' for an id or when unknown."""
        if not self.reference or self.reference.startswith("sha256:"):
            return ""
        path = self.reference.split("@", 1)[0]
        return path.rsplit("/", 1)[-1].split(":", 1)[0].lower()

    @property
    def family(self) -> str:
        """'postgres', 'redis', ... or '' for any other image."""
        return next((family for family, names in FAMILIES.items() if self.name in names), "")


def _text(value: Any) -> str:
    return "" if value in (None, UNKNOWN) else str(value)


def built_references(resource: PolicyResource) -> list[str]:
    key = BUILT_IMAGES.get(resource.resource_type)
    value = get(resource.props, key) if key else None
    if isinstance(value, str):
        return [value]
    return [_text(item) for _, item in items(value) if _text(item)]


def container_image(container: PolicyResource, resources: Iterable[PolicyResource]) -> Image:
    """The image a container runs, through the resource its `image` came from when there is one."""
    reference = _text(get(container.props, "image"))
    # An image named outright is judged as named, whatever it was computed from.
    by_id = not reference or reference.startswith("sha256:") or "@sha256:" in reference
    for source in container.property_dependencies.get("image", []) if by_id else []:
        if source.resource_type == REMOTE_IMAGE:
            return Image(_text(get(source.props, "name")))
        if source.resource_type in BUILT_IMAGES:
            return Image(next(iter(built_references(source)), ""), built_here=True)
    for resource in resources:
        if reference and reference in built_references(resource):
            return Image(reference, built_here=True)
        # A state written before the program named its RemoteImage holds the id alone.
        if (
            reference.startswith("sha256:")
            and resource.resource_type == REMOTE_IMAGE
            and reference in (_text(get(resource.props, "imageId")), _text(get(resource.props, "repoDigest")))
        ):
            return Image(_text(get(resource.props, "name")))
    return Image(reference)


def containers(resources: Iterable[PolicyResource]) -> list[tuple[PolicyResource, Image]]:
    """Every container of the stack with the image it runs."""
    stack = list(resources)
    return [(resource, container_image(resource, stack)) for resource in stack if resource.resource_type == CONTAINER]


def env_map(props: Mapping[str, Any]) -> dict[str, Any]:
    """A container's `envs` ('NAME=value') as a dict."""
    return {name: value for _, name, value in env_pairs(get(props, "envs"))}


def has_unknown_envs(props: Mapping[str, Any]) -> bool:
    """Entries generated at deploy time are unknown in a preview: any of them may be the one a rule looks for."""
    envs = get(props, "envs")
    return envs is UNKNOWN or any(entry is UNKNOWN for _, entry in items(envs))
