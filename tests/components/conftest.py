"""Components constructed alone under the recording engine, from a shipped stack's validated configuration.

The whole program (tests/test_main.py) proves the wiring; here each component is built with only what
it needs, as __main__.py builds it, so a test of one component runs in milliseconds and fails for
that component alone.
"""

from collections.abc import Callable
from typing import Any

import pulumi

from components.coolify import Coolify, CoolifyArgs
from components.data_services import DataServices, DataServicesArgs
from components.host import Host, HostArgs
from components.naming import Naming
from components.workers import Workers, WorkersArgs
from preview.engine import RecordedStack, record
from preview.mocks import ApplyMocks, PlanMocks
from stack_config import StackConfig, load_stack_config
from tests.conftest import NAMESPACE, stack_settings


def stack_config(
    stack: str = "staging", changes: dict[str, Any] | None = None, secret_keys: frozenset[str] = frozenset()
) -> StackConfig:
    settings = stack_settings(stack, changes, secret_keys)
    return load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)


def record_components(
    build: Callable[[StackConfig], object],
    stack: str = "staging",
    changes: dict[str, Any] | None = None,
    *,
    mocks: pulumi.runtime.Mocks | None = None,
    secret_keys: frozenset[str] = frozenset(),
) -> RecordedStack:
    """Run `build(config)` for the shipped `stack` with `changes`: ApplyMocks by default, or PlanMocks."""
    settings = stack_settings(stack, changes, secret_keys)
    config = load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)
    mock = mocks or ApplyMocks()
    return record(lambda: build(config), settings, mock, preview=isinstance(mock, PlanMocks))


def naming(config: StackConfig) -> Naming:
    return Naming.for_stack(config.environment)


def host(config: StackConfig) -> Host:
    """The host as __main__.py makes it, rotation.deployKey included."""
    args = HostArgs(
        config.server,
        config.protection,
        config.admin_ssh_keys,
        config.admin_cidrs,
        config.coolify.close_direct_ports,
        naming(config),
        deploy_key_rotation=config.rotation.deploy_key,
    )
    return Host("host", args)


def coolify(config: StackConfig, on: Host) -> Coolify:
    return Coolify("coolify", CoolifyArgs(config.coolify, on))


def running_coolify(config: StackConfig) -> tuple[Host, Coolify]:
    """The host with Coolify on it: what the data services, backups and workers need first."""
    main = host(config)
    return main, coolify(config, main)


def data_services(config: StackConfig, on: Host, installed: Coolify) -> DataServices:
    args = DataServicesArgs(
        config.postgres,
        config.redis,
        config.docker,
        on,
        config.protection,
        naming(config),
        [installed.ready],
        config.rotation,
    )
    return DataServices("data", args)


def workers(config: StackConfig, main: Host, installed: Coolify) -> Workers:
    health_check_host = config.hostname(config.workers.load_balancer.health_check_label)
    args = WorkersArgs(
        config.workers,
        main,
        config.admin_cidrs,
        config.coolify_api_token,
        health_check_host,
        naming(config),
        [installed.ready],
    )
    return Workers("workers", args)


def observe(prefix: str, source: object, *attributes: str) -> None:
    """Export attributes of a component (or of a value it hands out) as stack outputs `<prefix>.<attribute>`, so a
    test reads them resolved, as `pulumi up` would have set them."""
    for attribute in attributes:
        pulumi.export(f"{prefix}.{attribute}", getattr(source, attribute))
