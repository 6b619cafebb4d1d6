"""`python -m preview` end to end, as `make preview` runs it."""

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from preview.engine import RecordedStack
from tests.conftest import PROJECT_DIR, STACKS

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "components", "stack_config")
Recorded = Callable[[str, str], RecordedStack]


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


@pytest.fixture(scope="module")
def details_run() -> subprocess.CompletedProcess[str]:
    return run_preview("--stack", "staging", "--details")


def resource_rows(out: str) -> list[tuple[str, str, str]]:
    """(type, name, facts) of each ` +  ` row of the compact report."""
    rows = []
    for line in out.splitlines():
        if line.startswith(" +  "):
            kind, name, *facts = line[4:].split(maxsplit=2)
            rows.append((kind, name, facts[0] if facts else ""))
    return rows


def section(out: str, heading: str) -> list[str]:
    """The lines of the section that starts with `heading`, up to the blank line that ends it."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(heading))
    end = next((index for index in range(start, len(lines)) if not lines[index]), len(lines))
    return lines[start:end]


def test_the_compact_report_is_short_and_lists_every_resource_once(
    preview_run: tuple[str, subprocess.CompletedProcess[str]], recorded: Recorded
) -> None:
    stack, result = preview_run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    lines = out.splitlines()
    recording = recorded(stack, "plan")
    assert lines[0].startswith(f"Previewing update ({stack}), offline: {len(recording.resources)} to create (1 stack, ")
    warnings = section(out, "Before `pulumi up`:")[1:]
    # One line per warning, whatever they say; one per resource; and few besides.
    assert warnings and all(line.startswith("  ⚠ hetzner-coolify:") for line in warnings)
    rows = resource_rows(out)
    assert len(lines) - len(warnings) - len(rows) <= 35
    if stack == "staging":
        assert len(lines) < 95
    assert sorted(name for _, name, _ in rows) == sorted(resource.name for resource in recording.resources)
    assert ("pulumi:pulumi:Stack", f"hetzner-coolify-{stack}", "") in rows
    assert sum(1 for kind, _, _ in rows if kind == "component") == 7
    # Short lines; a warning says what it must, on one line.
    assert max(len(line) for line in lines if line not in warnings) <= 140


def test_the_compact_report_lists_resources_after_what_they_need(
    preview_run: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    _, result = preview_run
    rows = resource_rows(result.stdout)
    position = {name: index for index, (_, name, _) in enumerate(rows)}
    facts = {name: fact for _, name, fact in rows}
    # DNS records carry the primary addresses, which exist before the server: they do not wait for it.
    for name, fact in facts.items():
        if fact.startswith("A "):
            assert fact.endswith("→ host-ipv4") and position["host-ipv4"] < position[name], name
        if fact.startswith("AAAA "):
            assert fact.endswith("→ host-ipv6") and position["host-ipv6"] < position[name], name
    for before in ("host-firewall-attachment", "host-ssh-key-deploy", "host-ipv4", "host-ipv6", "host"):
        assert position[before] < position["host-server"], before
    for after in ("host-wait-for-ssh", "host-harden-host", "coolify-install-coolify", "data-docker"):
        assert position["host-server"] < position[after], after
    assert position["data-postgres-image"] < position["data-postgres"]
    assert facts["host-server"].startswith("cx")
    assert facts["data-postgres"].startswith("postgres:")
    assert facts["coolify-install-coolify"] == "runs install-coolify.sh"


def test_the_compact_report_ends_with_what_to_do_next(
    preview_run: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    stack, result = preview_run
    *_, last = result.stdout.splitlines()
    again = "make preview" if stack == "staging" else f"make preview STACK={stack}"
    # The shipped files hold example values: replace them first.
    assert last == f"Next: replace the values warned about above in Pulumi.{stack}.yaml, then run `{again}` again."


def test_preview_marks_protection_in_the_compact_report_and_ignored_changes_in_details(
    preview_run: tuple[str, subprocess.CompletedProcess[str]], details_run: subprocess.CompletedProcess[str]
) -> None:
    stack, result = preview_run
    server_line = next(line for line in result.stdout.splitlines() if " host-server " in line)
    assert ("[protect]" in server_line) is (stack == "production")
    details_line = next(line for line in details_run.stdout.splitlines() if "hcloud:index/server:Server" in line)
    assert "[ignore_changes: userData, sshKeys, image]" in details_line


def test_details_show_the_tree_every_input_and_the_full_sections(details_run: subprocess.CompletedProcess[str]) -> None:
    assert details_run.returncode == 0, details_run.stderr
    out = details_run.stdout
    assert out.startswith("Previewing update (staging), offline:\n")
    assert " +  pulumi:pulumi:Stack" in out
    assert "├─ hetzner-coolify:dns:Dns" in out
    assert "├─ hetzner-coolify:host:Host" in out
    assert "└─ hetzner-coolify:backups:UpgradeBackup" in out
    assert re.search(r'^ +│ +│ +serverType: "cx33"$', out, flags=re.MULTILINE)
    # The shipped files' example values: warnings here, refused by a deploy (tests/stack_config).
    assert "Diagnostics:\n  pulumi:pulumi:Stack (hetzner-coolify-staging):\n    warning: hetzner-coolify:" in out
    assert re.search(r"^    deployPrivateKey: +\[secret\]$", out, flags=re.MULTILINE)
    assert re.search(r"^    ipv4Address: +<known after apply>$", out, flags=re.MULTILINE)
    assert "    critical path: " in out and "Estimated monthly cost" in out
    rows = [line for line in out.splitlines() if line.startswith(" +  ")]
    components = sum(1 for line in rows if " hetzner-coolify:" in line)
    assert components == 7
    assert (
        f"    + {len(rows)} to create (1 stack, {components} components, {len(rows) - 1 - components} cloud resources)"
        in out
    )
    assert out.splitlines()[-1].startswith("Next: ")


def test_the_compact_report_keeps_the_outputs(preview_run: tuple[str, subprocess.CompletedProcess[str]]) -> None:
    stack, result = preview_run
    outputs = section(result.stdout, "Outputs:")
    assert f'    environment:         "{stack}"' in outputs
    unknown = " ".join(line for line in outputs if "<known after apply>:" in line or line.startswith(" " * 20))
    assert "ipv4Address" in unknown and "serverId" in unknown
    assert any(line.startswith("    [secret]:") and "deployPrivateKey" in line for line in outputs)


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


def dev_stack(tmp_path: Path) -> Path:
    """A stack named `dev`: staging's file, of environment staging (no policies/config/dev.json exists)."""
    stack_file = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())
    return project_copy(tmp_path, "dev", {**stack_file["config"], "hetzner-coolify:environment": "staging"})


def test_a_stack_without_its_own_policy_config_gets_its_environments(tmp_path: Path) -> None:
    assert not (PROJECT_DIR / "policies" / "config" / "dev.json").exists()
    result = run_preview("--stack", "dev", "--project-dir", str(dev_stack(tmp_path)))
    assert result.returncode == 0, result.stderr
    policies = section(result.stdout, "Policies:")
    assert policies[1].endswith(
        "(local: policies; config: policies/config/staging.json, for stack dev of environment staging)"
    )
    # Staging's levels: protection is not required, so the unprotected stack passes (see the next test).
    assert policies[-1] == "    19 policies checked: 0 mandatory and 0 advisory violations"
    assert result.stdout.splitlines()[-1].startswith("Next: ")
    assert "Pulumi.dev.yaml" in result.stdout.splitlines()[-1]


def test_mandatory_violations_fail_with_a_line_on_stderr(tmp_path: Path) -> None:
    project = dev_stack(tmp_path)
    # Every policy at the pack's own level: protection is mandatory, and nothing of the dev stack is protected.
    defaults = tmp_path / "defaults.json"
    defaults.write_text("{}")
    result = run_preview("--stack", "dev", "--project-dir", str(project), "--policy-pack-config", str(defaults))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    found = re.fullmatch(
        r"preview failed: (\d+) mandatory policy violations \(stateful-resources-enable-protection on "
        r"([a-z0-9-]+), ([a-z0-9-]+), ([a-z0-9-]+), …\); see Policies above",
        line,
    )
    assert found, line
    assert f"    19 policies checked: {found[1]} mandatory and 0 advisory violations" in result.stdout
    assert f"config: {defaults})" in result.stdout
    last = result.stdout.splitlines()[-1]
    assert last.startswith(f"Next: fix the {found[1]} mandatory policy violations above, replace the values ")
    assert last.endswith(" again.") and "--policy-pack-config" in last
