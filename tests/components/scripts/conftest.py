"""Real tools for the server scripts: runners for the scripts, stubs of what they call, a sandbox root."""

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.server_scripts import server_script
from tests.conftest import PROJECT_DIR

SCRIPTS_DIR = PROJECT_DIR / "components" / "scripts"


def run_script(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The script as the program sends it: the library and the script on the stdin of `bash -s`, so that a command
    in it that reads its stdin would eat the rest of the script here as it would on the server."""
    return subprocess.run(
        ["bash", "-s"],
        input=server_script(name).text,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env},
        capture_output=True,
        text=True,
        check=False,
    )


STUBS_DIR = Path(__file__).parent / "stubs"


@dataclass
class Sandbox:
    """A throwaway root for the server scripts, with system commands stubbed (tests/.../stubs)."""

    root: Path
    log: Path

    def run(self, name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        return run_script(
            name,
            {
                "PATH": f"{STUBS_DIR}:{os.environ['PATH']}",
                "TARGET_ROOT": str(self.root),
                "STUB_LOG": str(self.log),
                **env,
            },
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()

    def tree(self) -> dict[str, tuple[str, str]]:
        """Every file and directory under the root: mode and content digest."""
        snapshot = {}
        for path in sorted(self.root.rglob("*")):
            mode = oct(path.stat().st_mode & 0o7777)
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            snapshot[str(path.relative_to(self.root))] = (mode, digest)
        return snapshot


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    return Sandbox(root, tmp_path / "calls.log")
