"""The server's cloud-init user_data, checked by the real cloud-init schema validator."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from preview.engine import RecordedStack
from tests.conftest import STACKS

Recorded = Callable[[str, str], RecordedStack]
CLOUD_INIT_SCHEMA = Path("/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json")


def user_data(recording: RecordedStack) -> str:
    (server,) = recording.of_type("hcloud:index/server:Server")
    text: str = server.inputs["userData"]
    return text


def cloud_init_schema_check(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "user-data.yaml"
    path.write_text(text)
    return subprocess.run(
        ["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("stack", STACKS)
def test_user_data_passes_the_cloud_init_schema(recorded: Recorded, stack: str, tmp_path: Path) -> None:
    result = cloud_init_schema_check(user_data(recorded(stack, "plan")), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_the_validator_is_really_checking(recorded: Recorded, tmp_path: Path) -> None:
    broken = user_data(recorded("staging", "plan")).replace("package_update: true", "package_update: [yes]")
    result = cloud_init_schema_check(broken, tmp_path)
    assert result.returncode != 0
    assert "package_update" in result.stdout + result.stderr


def test_every_key_is_a_cloud_init_key(recorded: Recorded) -> None:
    """cloud-init ignores unknown top-level keys silently; a typo would go unnoticed."""
    schema = json.loads(CLOUD_INIT_SCHEMA.read_text())
    known = {key for definition in schema["$defs"].values() for key in definition.get("properties", {})}
    config = yaml.safe_load(user_data(recorded("staging", "plan")))
    assert set(config) <= known, set(config) - known


@pytest.mark.parametrize("stack", STACKS)
def test_user_data_is_minimal_and_holds_nothing_secret(recorded: Recorded, stack: str) -> None:
    text = user_data(recorded(stack, "apply"))
    config = yaml.safe_load(text)
    assert config["hostname"] == f"hetzner-coolify-{stack}"
    assert config["ssh_pwauth"] is False
    assert not {"users", "chpasswd", "write_files", "runcmd"} & set(config)
    lowered = text.lower()
    assert "password" not in lowered and "private key" not in lowered and "token" not in lowered
