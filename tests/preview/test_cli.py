"""`python -m preview` end to end, as `make preview` runs it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR, STACKS

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "components", "stack_config")


def run_preview(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preview", *arguments],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def project_copy(tmp_path: Path, stack: str, config: dict[str, object]) -> Path:
    """The program beside a stack file of our own."""
    for name in PROGRAM_FILES:
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


@pytest.fixture(scope="module", params=STACKS)
def preview_run(request: pytest.FixtureRequest) -> tuple[str, subprocess.CompletedProcess[str]]:
    return request.param, run_preview("--stack", request.param)


def test_preview_succeeds_with_a_tree_outputs_and_summary(
    preview_run: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    stack, result = preview_run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith(f"Previewing update ({stack}), offline:")
    assert " +  pulumi:pulumi:Stack" in out
    assert "├─ hetzner-coolify:dns:Dns" in out
    assert "└─ hetzner-coolify:host:Host" in out
    assert "hcloud:index/server:Server" in out
    assert "Outputs:" in out
    # The shipped files' example admin email: a warning here, refused by a deploy (tests/stack_config).
    assert (
        f"Diagnostics:\n  pulumi:pulumi:Stack (hetzner-coolify-{stack}):\n"
        "    warning: hetzner-coolify:coolify.adminEmail: 'ops@example.com' is on a domain reserved for examples" in out
    )
    assert re.search(r"^    deployPrivateKey: +\[secret\]$", out, flags=re.MULTILINE)
    assert re.search(r"^    coolifyAdminPassword: +\[secret\]$", out, flags=re.MULTILINE)
    rows = [line for line in out.splitlines() if line.startswith(" +  ")]
    components = sum(1 for line in rows if " hetzner-coolify:" in line)
    assert components == 5
    assert (
        f"    + {len(rows)} to create (1 stack, {components} components, {len(rows) - 1 - components} cloud resources)"
        in out
    )


def test_preview_marks_protection_and_ignored_changes(
    preview_run: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    stack, result = preview_run
    server_line = next(line for line in result.stdout.splitlines() if "hcloud:index/server:Server" in line)
    assert "[ignore_changes: userData, sshKeys, image]" in server_line
    assert ("[protect]" in server_line) is (stack == "production")


def test_preview_shows_the_policy_verdicts(preview_run: tuple[str, subprocess.CompletedProcess[str]]) -> None:
    stack, result = preview_run
    policies = result.stdout.split("Policies:\n", 1)[1]
    assert policies.startswith(
        f"    ✅ hetzner-coolify-guardrails@v0.1.0 (local: policies; config: policies/config/{stack}.json)\n"
    )
    assert "19 policies checked: 0 mandatory and 0 advisory violations" in policies


def test_preview_without_the_policy_pack() -> None:
    result = run_preview("--stack", "staging", "--no-policy-pack")
    assert result.returncode == 0
    assert "Policies:" not in result.stdout


def test_a_bad_policy_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text('{"no-such-policy": "advisory"}')
    result = run_preview("--stack", "staging", "--policy-pack-config", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith("error: bad.json: 'no-such-policy' is not a policy of this pack; policies: ")


def test_preview_shows_unknowns_like_pulumi_preview(preview_run: tuple[str, subprocess.CompletedProcess[str]]) -> None:
    _, result = preview_run
    assert re.search(r"^    ipv4Address: +<known after apply>$", result.stdout, flags=re.MULTILINE)


def test_bad_config_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    project = project_copy(
        tmp_path,
        "staging",
        {
            "hetzner-coolify:server": {"type": "cx99"},
            "hetzner-coolify:adminCidrs": ["203.0.113.0/24"],
            "hetzner-coolify:coolify": {"adminEmail": "ops@example.com"},
            "hetzner-coolify:backups": {
                "ageRecipient": "age1e0n8hx68j4g0ts6z78gx0ee0f30a3309f7gydjy4lkzdmy6wxepqurfhtx",
                "storage": {"accountId": "0123456789abcdef0123456789abcdef"},
            },
            "hetzner-coolify:adminSshKeys": [
                {
                    "name": "a",
                    "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7",
                }
            ],
        },
    )
    result = run_preview("--stack", "staging", "--project-dir", str(project))
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: hetzner-coolify:server.type: 'cx99' is not a Hetzner server type; allowed: cx23")
    assert "Traceback" not in result.stderr


def test_unknown_stack_exits_2_and_lists_the_stacks() -> None:
    result = run_preview("--stack", "qa")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: no stack file Pulumi.qa.yaml in {PROJECT_DIR}; stacks: production, staging"
    )


def test_make_preview_uses_the_same_entry_point() -> None:
    if shutil.which("make") is None:
        pytest.fail("make is needed for the quick start")
    result = subprocess.run(
        ["make", "-s", "preview", "STACK=production"], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Previewing update (production), offline:")
