"""The preview refuses a stack that would write DNS names another stack of the project writes."""

import shutil
from pathlib import Path

from preview.collisions import dns_clashes
from preview.stack_files import read_stack
from stack_config import load_stack_config
from tests.conftest import NAMESPACE, PROJECT_DIR

STAGING = (PROJECT_DIR / "Pulumi.staging.yaml").read_text()


def _project(tmp_path: Path, stacks: dict[str, str]) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(PROJECT_DIR / "Pulumi.production.yaml", tmp_path / "Pulumi.production.yaml")
    for stack, text in stacks.items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def _clashes(project_dir: Path, stack: str) -> list[str]:
    settings = read_stack(project_dir, stack)
    config = load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)
    return dns_clashes(project_dir, stack, config)


def test_the_shipped_stacks_and_a_copy_of_staging_write_names_of_their_own(tmp_path: Path) -> None:
    project = _project(tmp_path, {"staging": STAGING, "dev": STAGING, "pr-123": STAGING})
    assert [_clashes(project, stack) for stack in ("staging", "production", "dev", "pr-123")] == [[], [], [], []]


def test_a_namespace_set_to_another_stacks_is_refused_naming_both(tmp_path: Path) -> None:
    dev = STAGING + "  hetzner-coolify:dns:\n    namespace: staging\n"
    project = _project(tmp_path, {"staging": STAGING, "dev": dev})
    assert _clashes(project, "dev") == [
        "Pulumi.dev.yaml: writes the DNS names *.staging.example.com, api.staging.example.com, "
        "coolify.staging.example.com and 2 more, which the stack 'staging' writes too; give one of them its own "
        "`hetzner-coolify:dns.namespace` (by default each stack's is its name)"
    ]
    assert _clashes(project, "staging")[0].startswith("Pulumi.staging.yaml: writes the DNS names *.staging.example.com")


def test_a_second_stack_on_the_apex_is_refused(tmp_path: Path) -> None:
    prod_eu = (PROJECT_DIR / "Pulumi.production.yaml").read_text() + "  hetzner-coolify:environment: production\n"
    prod_eu += "  hetzner-coolify:dns:\n    namespace: ''\n"
    project = _project(tmp_path, {"prod-eu": prod_eu})
    assert len(_clashes(project, "prod-eu")) == 1
    assert "which the stack 'production' writes too" in _clashes(project, "prod-eu")[0]


def test_stacks_on_other_domains_or_without_one_never_clash(tmp_path: Path) -> None:
    other_domain = STAGING.replace("example.com", "example.org") + "  hetzner-coolify:dns:\n    namespace: staging\n"
    no_domain = "\n".join(line for line in STAGING.splitlines() if "hetzner-coolify:domain" not in line) + "\n"
    project = _project(tmp_path, {"staging": STAGING, "other": other_domain, "bare": no_domain})
    assert _clashes(project, "other") == [] and _clashes(project, "bare") == []


def test_a_stack_file_that_does_not_validate_is_left_to_its_own_preview(tmp_path: Path) -> None:
    # Its names would be dev's, but its server type is none Hetzner offers.
    broken = STAGING + "  hetzner-coolify:dns:\n    namespace: dev\n  hetzner-coolify:server:\n    type: nonsense\n"
    project = _project(tmp_path, {"staging": STAGING, "broken": broken, "dev": STAGING})
    assert _clashes(project, "dev") == []
