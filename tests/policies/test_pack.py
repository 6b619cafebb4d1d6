"""The pack as a whole: its metadata, its isolation from provider SDKs, and its verdict on real programs."""

import ast
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from policies.guardrails import POLICIES
from preview.analyzer import PolicyPackProcess, analyzer_resources
from preview.engine import RecordedStack
from preview.policy_config import resolve
from tests.conftest import PROJECT_DIR, STACKS, record
from tests.policies.conftest import PACK_DIR

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+){3,}$")
VERBS = ("-disallow-", "-enable-", "-configure-", "-missing-")
PROVIDER_SDKS = ("pulumi_hcloud", "pulumi_cloudflare", "pulumi_docker", "pulumi_command", "pulumi_tls", "pulumi_random")


def test_every_policy_is_named_described_and_levelled(pack: PolicyPackProcess) -> None:
    info = pack.info()
    names = [policy.name for policy in info.policies]
    assert len(names) == len(set(names)) == 19
    for policy in info.policies:
        assert NAME.match(policy.name) and any(verb in policy.name for verb in VERBS), policy.name
        assert policy.description[0].isupper() and policy.description.endswith("."), policy.name
        assert policy.severity != 0, f"{policy.name} has no severity"


def test_each_policy_is_the_module_named_after_it_with_a_test_file_of_its_own() -> None:
    rules = PACK_DIR / "guardrails" / "rules"
    modules = sorted(path.stem for path in rules.glob("*.py") if path.stem != "__init__")
    assert modules == sorted(policy.name.replace("-", "_") for policy in POLICIES)
    tests = Path(__file__).parent / "guardrails" / "rules"
    assert [module for module in modules if not (tests / f"test_{module}.py").is_file()] == []


def test_default_levels_are_strict(pack: PolicyPackProcess) -> None:
    levels = {name: policy.level for name, policy in pack.defaults().items()}
    assert {name for name, level in levels.items() if level != "mandatory"} == {
        "hetzner-firewall-disallow-broad-data-port-sources"
    }


def test_the_pack_runs_without_any_provider_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded: Callable[[str, str], RecordedStack]
) -> None:
    """Start the pack in a Python where importing a provider SDK fails, then run every policy."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {PROVIDER_SDKS!r}:\n"
        "            raise ImportError('provider SDK imported by the policy pack: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with PolicyPackProcess(PACK_DIR, "hetzner-coolify", "production") as process:
        process.configure(resolve(process.defaults(), None), "production", "hetzner-coolify")
        resources = analyzer_resources(recorded("production", "apply"), {})
        assert process.analyze(resources) + process.analyze_stack(resources) == []


def test_pack_sources_import_no_provider_sdk() -> None:
    for path in PACK_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & set(PROVIDER_SDKS), path


def test_main_only_builds_the_pack() -> None:
    """Keeping the engine's secret marks is part of building it: the servicer is chosen when the pack is built."""
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    statements = [node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))]
    docstring, keep_marks, build = statements
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    calls = [statement.value for statement in (keep_marks, build) if isinstance(statement, ast.Expr)]
    assert [getattr(call.func, "id", "") for call in calls if isinstance(call, ast.Call)] == [
        "keep_secret_marks",
        "PolicyPack",
    ]


def test_requirements_hold_no_provider_sdk() -> None:
    lines = [line for line in (PACK_DIR / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert sorted(line.split("==")[0] for line in lines) == ["pulumi", "pulumi-policy"]
    assert all("==" in line for line in lines)


def _pins(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if "==" in line and not line.startswith("#")]
    return dict(line.split("==", 1) for line in lines)


def test_the_pack_runs_on_the_versions_the_preview_runs_it_on() -> None:
    # The CLI installs policies/requirements.txt into the pack's own venv; the offline preview runs the pack on
    # requirements-preview.txt (and the program's requirements.txt): one version of each, or the two differ.
    preview = _pins(PROJECT_DIR / "requirements.txt") | _pins(PROJECT_DIR / "requirements-preview.txt")
    pack = _pins(PACK_DIR / "requirements.txt")
    assert {name: preview.get(name) for name in pack} == pack


@pytest.mark.parametrize("stack", STACKS)
def test_stack_config_files_are_valid(pack: PolicyPackProcess, stack: str) -> None:
    settings = resolve(pack.defaults(), PACK_DIR / "config" / f"{stack}.json")
    expected_min = 32 if stack == "production" else 16
    assert settings["secrets-disallow-default-values"].properties["minLength"] == expected_min
    protection = settings["stateful-resources-enable-protection"].level
    assert protection == ("mandatory" if stack == "production" else "disabled")


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("mode", ["plan", "apply"])
def test_shipped_stacks_pass_every_mandatory_policy(
    pack: PolicyPackProcess, recorded: Callable[[str, str], RecordedStack], stack: str, mode: str
) -> None:
    recording = recorded(stack, mode)
    pack.configure(resolve(pack.defaults(), PACK_DIR / "config" / f"{stack}.json"), stack, "hetzner-coolify")
    resources = analyzer_resources(recording, {})
    found = pack.analyze(resources) + pack.analyze_stack(resources)
    assert [f"{item.policy}: {item.detail}" for item in found] == []


def test_the_insecure_example_is_refused_by_every_policy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", "production", "--project-dir", "tests/fixtures/insecure_program"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    refused = set(re.findall(r"- \[mandatory\]  (\S+)", result.stdout))
    assert refused == {policy.name for policy in POLICIES}
    assert "19 policies checked: 27 mandatory and 0 advisory violations" in result.stdout


def test_config_files_are_json_objects_of_known_policies(pack: PolicyPackProcess) -> None:
    names = set(pack.defaults())
    for path in (PACK_DIR / "config").glob("*.json"):
        assert set(json.loads(path.read_text())) <= names, path


@pytest.mark.parametrize(("policy_config", "level"), [("production", "mandatory"), ("staging", "advisory")])
def test_postgres_without_backups_is_refused_in_production_and_a_warning_elsewhere(
    pack: PolicyPackProcess, policy_config: str, level: str
) -> None:
    # The configuration refuses `backups.enabled: false` in a production stack before the pack sees it
    # (stack_config): the program is the staging stack's, protected as production is, judged by each
    # environment's policy configuration.
    protected = {"protect": True, "deleteProtection": True}
    recording = record("staging", {"backups": {"enabled": False}, "protection": protected})
    pack.configure(
        resolve(pack.defaults(), PACK_DIR / "config" / f"{policy_config}.json"), "staging", "hetzner-coolify"
    )
    resources = analyzer_resources(recording, {})
    found = pack.analyze(resources) + pack.analyze_stack(resources)
    assert [(item.policy, item.level, item.resource) for item in found] == [
        ("postgres-container-enable-backups", level, "docker:index/container:Container: data-postgres")
    ]
    assert "`hetzner-coolify:backups.enabled: true`" in found[0].detail


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("count", [3, 50])
def test_stacks_with_workers_pass_every_mandatory_policy(pack: PolicyPackProcess, stack: str, count: int) -> None:
    changes = {"workers": {"count": count, "loadBalancer": {"type": "lb21" if count > 25 else "lb11"}}}
    recording = record(stack, changes)
    pack.configure(resolve(pack.defaults(), PACK_DIR / "config" / f"{stack}.json"), stack, "hetzner-coolify")
    resources = analyzer_resources(recording, {})
    assert [f"{item.policy}: {item.detail}" for item in pack.analyze(resources) + pack.analyze_stack(resources)] == []
