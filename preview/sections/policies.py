"""The policy verdicts section: the stack's resources through the policy pack, as `pulumi preview` shows them."""

from pathlib import Path
from types import TracebackType
from typing import Self

import yaml

from preview.analyzer import Diagnostic, PolicyPackProcess, analyzer_resources
from preview.engine import RecordedStack
from preview.policy_config import LEVELS, ConfigChoice, resolve
from preview.sections.section import SectionReport
from preview.stack_files import StackSettings

# How many policies, and resources of each, the line on stderr names before it says "…".
NAMED_VIOLATIONS = 3


def pack_version(pack_dir: Path) -> str:
    """Python packs take their version from PulumiPolicy.yaml, as the CLI does."""
    settings = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    return str(settings.get("version", "0.0.1"))


def _shown(path: Path, pack_dir: Path) -> str:
    """A config file inside the pack as `policies/config/x.json`, anything else as given."""
    try:
        return str(Path(pack_dir.name) / path.resolve().relative_to(pack_dir.resolve()))
    except ValueError:
        return str(path)


def config_note(config: ConfigChoice, pack_dir: Path) -> str:
    """Which configuration the pack got, for the pack's line: the file, and why when it is not the stack's own."""
    if config.path is not None:
        why = f", for stack {config.stack} of environment {config.environment}" if config.rule == "environment" else ""
        return f"config: {_shown(config.path, pack_dir)}{why}"
    names = dict.fromkeys((config.stack, config.environment))
    tried = [_shown(pack_dir / "config" / f"{name}.json", pack_dir) for name in names]
    return f"no config (no {' nor '.join(tried)}): every policy at the pack's level"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _violations(found: list[Diagnostic]) -> str:
    """`7 mandatory policy violations (policy-a on x, y, z, …; policy-b on the stack)`, naming a few."""
    by_policy: dict[str, list[str]] = {}
    for item in found:
        by_policy.setdefault(item.policy, []).append(item.urn.rsplit("::", 1)[-1] or "the stack")
    named = []
    for policy, resources in list(by_policy.items())[:NAMED_VIOLATIONS]:
        more = ", …" if len(resources) > NAMED_VIOLATIONS else ""
        named.append(f"{policy} on {', '.join(resources[:NAMED_VIOLATIONS])}{more}")
    more = "; …" if len(by_policy) > NAMED_VIOLATIONS else ""
    return f"{_plural(len(found), 'mandatory policy violation')} ({'; '.join(named)}{more})"


class PolicyVerdicts:
    """Starts the pack at once, so that it loads while the program runs; analyzes when asked to render."""

    title = "Policies"

    def __init__(self, pack_dir: Path, config: ConfigChoice, stack: StackSettings) -> None:
        self.pack_dir = pack_dir
        self.config = config
        self.stack = stack
        self.process = PolicyPackProcess(pack_dir, stack.project, stack.stack)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.process.close()

    def diagnostics(self, recording: RecordedStack) -> list[Diagnostic]:
        settings = resolve(self.process.defaults(), self.config.path)
        self.process.configure(settings, self.stack.stack, self.stack.project)
        resources = analyzer_resources(recording, self.stack.config)
        found = self.process.analyze(resources) + self.process.analyze_stack(resources)
        return sorted(found, key=lambda item: (LEVELS.index(item.level), item.policy, item.urn))

    def render(self, recording: RecordedStack) -> SectionReport:
        found = self.diagnostics(recording)
        info = self.process.info()
        mandatory = [item for item in found if item.level == "mandatory"]
        lines = [
            "Policies:",
            f"    {'❌' if mandatory else '✅'} {info.name}@v{pack_version(self.pack_dir)} "
            f"(local: {self.pack_dir.name}; {config_note(self.config, self.pack_dir)})",
        ]
        for item in found:
            where = f"  ({item.resource})" if item.resource else ""
            lines.append(f"        - [{item.level}]  {item.policy}{where}")
            lines += [f"          {line}" for line in item.message.splitlines()]
        advisory = len(found) - len(mandatory)
        lines.append(
            f"    {len(info.policies)} policies checked: {len(mandatory)} mandatory and {advisory} advisory violations"
        )
        if not mandatory:
            return SectionReport(lines)
        fix = f"the {_plural(len(mandatory), 'mandatory policy violation')}"
        return SectionReport(lines, failed=True, problem=_violations(mandatory), fix=fix)
