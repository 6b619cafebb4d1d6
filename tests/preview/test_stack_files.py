"""Stack files are handed to the program the way the Pulumi CLI hands them over."""

import json
from pathlib import Path

import pytest

from preview.stack_files import StackFileError, read_stack, secret_placeholder


def project(tmp_path: Path, stack_yaml: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    return tmp_path


def test_values_become_pulumi_config_text(tmp_path: Path) -> None:
    settings = read_stack(
        project(tmp_path, "config:\n  demo:flag: true\n  demo:count: 3\n  demo:name: x\n  obj:\n    a: [1, 2]\n"), "dev"
    )
    assert settings.project == "demo"
    assert settings.config == {"demo:flag": "true", "demo:count": "3", "demo:name": "x", "demo:obj": '{"a": [1, 2]}'}
    assert settings.secret_keys == frozenset()


def test_secure_values_become_marked_placeholders_and_secret_keys(tmp_path: Path) -> None:
    settings = read_stack(
        project(
            tmp_path,
            "config:\n  hcloud:token:\n    secure: v1:abc\n"
            "  demo:backup:\n    bucket: b\n    secretKey:\n      secure: v1:def\n",
        ),
        "dev",
    )
    assert settings.config["hcloud:token"] == secret_placeholder("hcloud:token")
    assert json.loads(settings.config["demo:backup"]) == {
        "bucket": "b",
        "secretKey": secret_placeholder("demo:backup.secretKey"),
    }
    assert settings.secret_keys == {"hcloud:token", "demo:backup"}


def test_missing_stack_file_names_the_available_stacks(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r"no stack file Pulumi.prod.yaml in .*; stacks: dev$"):
        read_stack(project(tmp_path, "config: {}\n"), "prod")


def test_malformed_stack_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r"^Pulumi.dev.yaml: 'config' must be a mapping"):
        read_stack(project(tmp_path, "config: [1]\n"), "dev")
    with pytest.raises(StackFileError, match=r"^Pulumi.dev.yaml: "):
        read_stack(project(tmp_path, "config: {a: [\n"), "dev")
