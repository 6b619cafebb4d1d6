"""docker-container-disallow-coolify-service-names, through the pack: a container on Coolify's `coolify` network
must not answer to a name Coolify's own services answer to, by its name or by an alias; elsewhere it may."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import CONTAINER

POLICY = "docker-container-disallow-coolify-service-names"


def container(name: Any = "app-postgres", network: Any = "coolify", aliases: Any = None, **changes: Any) -> Resource:
    """A Postgres container of the program's own, on `network`, named `name` (the Docker name, not Pulumi's)."""
    attachment: dict[str, Any] = {"name": network}
    if aliases is not None:
        attachment["aliases"] = aliases
    props: dict[str, Any] = {"image": "postgres:16.4", "name": name, "networksAdvanced": [attachment]}
    props.update(changes)
    return Resource(CONTAINER, props, name="app-db")


def taken(where: str, name: str) -> str:
    return (
        f"{where} '{name}' on Coolify's network is a name Coolify's own services answer to: apps asking for it reach "
        "either at random; choose another (app-postgres, app-redis)."
    )


def test_a_name_of_its_own_on_coolify_passes(check: Check) -> None:
    assert check(POLICY, container()) == []


@pytest.mark.parametrize(
    "name",
    ["postgres", "redis", "coolify-db", "Postgres", "REDIS", "Coolify-DB", "soketi", "coolify-proxy"],
)
def test_a_coolify_service_name_on_coolify_is_refused(check: Check, name: str) -> None:
    # The message quotes the name as the program spelled it; the match ignores case, as Docker's DNS does.
    assert check(POLICY, container(name=name)) == [taken("name", name)]


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        (["postgres"], [taken("networks_advanced[0].aliases", "postgres")]),
        (["db", "Redis"], [taken("networks_advanced[0].aliases", "Redis")]),
        (
            ["postgres", "coolify-db"],
            [taken("networks_advanced[0].aliases", "postgres"), taken("networks_advanced[0].aliases", "coolify-db")],
        ),
    ],
    ids=["alias", "second-alias", "two-aliases"],
)
def test_a_coolify_service_alias_on_coolify_is_refused(check: Check, aliases: list[str], expected: list[str]) -> None:
    assert check(POLICY, container(aliases=aliases)) == expected


def test_a_taken_name_and_a_taken_alias_are_both_named(check: Check) -> None:
    assert check(POLICY, container(name="redis", aliases=["postgres"])) == [
        taken("name", "redis"),
        taken("networks_advanced[0].aliases", "postgres"),
    ]


def test_the_alias_is_named_by_the_attachment_that_holds_it(check: Check) -> None:
    # The same alias on another network is harmless; only Coolify's attachment, the second, is named.
    resource = container(
        name="app-db",
        networksAdvanced=[
            {"name": "app-internal", "aliases": ["postgres"]},
            {"name": "coolify", "aliases": ["postgres"]},
        ],
    )
    assert check(POLICY, resource) == [taken("networks_advanced[1].aliases", "postgres")]


@pytest.mark.parametrize(
    "resource",
    [
        container(name="postgres", network="app-internal"),
        container(name="redis", network="bridge", aliases=["postgres", "coolify-db"]),
        container(name="postgres", networksAdvanced=None),
        container(name="app-postgres", aliases=["app-redis", "postgres-replica", "my-coolify-db"]),
        container(name="postgres", network=UNKNOWN),
        container(name=UNKNOWN, aliases=[UNKNOWN]),
    ],
    ids=["other-network", "other-network-aliases", "no-network", "names-that-contain-one", "unknown-network",
         "unknown-names"],
)  # fmt: skip
def test_names_that_cannot_clash_pass(check: Check, resource: Resource) -> None:
    assert check(POLICY, resource) == []


def test_a_coolify_service_name_joined_through_network_mode_is_refused(check: Check) -> None:
    resource = container(name="postgres", networksAdvanced=None, networkMode="coolify")
    assert check(POLICY, resource) == [taken("name", "postgres")]
