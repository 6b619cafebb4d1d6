"""Policy tests talk to the real pack: a subprocess started as the engine starts it, over the Analyzer protocol."""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from preview.analyzer import Diagnostic, PolicyPackProcess, analyzer_resources
from preview.engine import RecordedResource, RecordedStack
from preview.policy_config import PolicySetting, resolve
from tests.conftest import PROJECT_DIR

PACK_DIR = PROJECT_DIR / "policies"
STACK_URN = "urn:pulumi:production::hetzner-coolify::pulumi:pulumi:Stack::hetzner-coolify-production"


@dataclass
class Resource:
    """A resource as a test describes it; `urn` and the rest are derived."""

    type: str
    props: dict[str, Any]
    name: str = "subject"
    protect: bool = False
    additional_secret_outputs: tuple[str, ...] = ()
    provider: str = ""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:production::hetzner-coolify::{self.type}::{self.name}"

    def recorded(self) -> RecordedResource:
        return RecordedResource(
            urn=self.urn,
            type=self.type,
            name=self.name,
            parent=STACK_URN,
            inputs=self.props,
            protect=self.protect,
            dependencies=tuple(urn for urns in self.property_dependencies.values() for urn in urns),
            property_dependencies=self.property_dependencies,
            provider=self.provider,
            additional_secret_outputs=self.additional_secret_outputs,
        )


def stack_of(*resources: Resource) -> RecordedStack:
    root = RecordedResource(STACK_URN, "pulumi:pulumi:Stack", "hetzner-coolify-production", custom=False)
    return RecordedStack("hetzner-coolify", "production", (root, *(r.recorded() for r in resources)), ())


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, "hetzner-coolify", "production") as process:
        yield process


Check = Callable[..., list[str]]


@pytest.fixture(scope="session")
def settings(pack: PolicyPackProcess) -> Callable[[Mapping[str, Mapping[str, Any]]], dict[str, PolicySetting]]:
    defaults = pack.defaults()

    def build(changes: Mapping[str, Mapping[str, Any]]) -> dict[str, PolicySetting]:
        resolved = resolve(defaults, None)
        for name, change in changes.items():
            current = resolved[name]
            resolved[name] = PolicySetting(
                change.get("enforcementLevel", current.level),
                {**current.properties, **{k: v for k, v in change.items() if k != "enforcementLevel"}},
            )
        return resolved

    return build


Diagnose = Callable[..., list[Diagnostic]]


def _diagnoser(pack: PolicyPackProcess, build: Any, *, whole_stack: bool) -> Diagnose:
    """run(policy, *resources, config={...}) -> that policy's diagnostics, the pack configured with `config`."""

    def run(policy: str, *resources: Resource, config: Mapping[str, Any] | None = None) -> list[Diagnostic]:
        pack.configure(build({policy: config or {}}), "production", "hetzner-coolify")
        messages = analyzer_resources(stack_of(*resources), {})
        found = pack.analyze_stack(messages) if whole_stack else pack.analyze(messages)
        return [item for item in found if item.policy == policy]

    return run


def _texts(diagnose: Diagnose) -> Check:
    def run(policy: str, *resources: Resource, config: Mapping[str, Any] | None = None) -> list[str]:
        return [item.detail for item in diagnose(policy, *resources, config=config)]

    return run


@pytest.fixture(scope="session")
def check(pack: PolicyPackProcess, settings: Any) -> Check:
    """check(policy, *resources, config={...}) -> the reported texts of that policy, through the pack."""
    return _texts(_diagnoser(pack, settings, whole_stack=False))


@pytest.fixture(scope="session")
def check_stack(pack: PolicyPackProcess, settings: Any) -> Check:
    """check_stack(policy, *resources, config={...}) -> the texts the stack policy reports, through the pack."""
    return _texts(_diagnoser(pack, settings, whole_stack=True))


@pytest.fixture(scope="session")
def diagnose(pack: PolicyPackProcess, settings: Any) -> Diagnose:
    """Like `check`, but the whole diagnostics (level, urn, message) of one policy."""
    return _diagnoser(pack, settings, whole_stack=False)
