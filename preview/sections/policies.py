"""The policy verdicts section: the stack's resources through the policy pack, as `pulumi preview` shows them."""

from pathlib import Path
from types import TracebackType
from typing import Self

import yaml

from preview.analyzer import Diagnostic, PolicyPackProcess, analyzer_resources
from preview.engine import RecordedStack
from preview.policy_config import LEVELS, resolve
from preview.sections.section import SectionReport
from preview.stack_files import StackSettings


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


class PolicyVerdicts:
    """Starts the pack at once, so that it loads while the program runs; analyzes when asked to render."""

    title = "Policies"

    def __init__(self, pack_dir: Path, config_file: Path | None, stack: StackSettings) -> None:
        self.pack_dir = pack_dir
        self.config_file = config_file
        self.stack = stack
        self.process = PolicyPackProcess(pack_dir, stack.project, stack.stack)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.process.close()

    def diagnostics(self, recording: RecordedStack) -> list[Diagnostic]:
        settings = resolve(self.process.defaults(), self.config_file)
        self.process.configure(settings, self.stack.stack, self.stack.project)
        resources = analyzer_resources(recording, self.stack.config)
        found = self.process.analyze(resources) + self.process.analyze_stack(resources)
        return sorted(found, key=lambda item: (LEVELS.index(item.level), item.policy, item.urn))

    def render(self, recording: RecordedStack) -> SectionReport:
        found = self.diagnostics(recording)
        info = self.process.info()
        mandatory = sum(1 for item in found if item.level == "mandatory")
        config = f"; config: {_shown(self.config_file, self.pack_dir)}" if self.config_file else ""
        lines = [
            "Policies:",
            f"    {'❌' if mandatory else '✅'} {info.name}@v{pack_version(self.pack_dir)} "
            f"(local: {self.pack_dir.name}{config})",
        ]
        for item in found:
            where = f"  ({item.resource})" if item.resource else ""
            lines.append(f"        - [{item.level}]  {item.policy}{where}")
            lines += [f"          {line}" for line in item.message.splitlines()]
        advisory = len(found) - mandatory
        lines.append(
            f"    {len(info.policies)} policies checked: {mandatory} mandatory and {advisory} advisory violations"
        )
        return SectionReport(lines, failed=mandatory > 0)
