"""Wall time of the offline preview: against a python that only imports the provider SDKs, with and
without the policy pack, and as workers are added.

Not a test: timings depend on the machine. Run with `make benchmark`. Targets: a ratio <= 1.5, at
most 0.5 s added by the policy pack, and time growing at most linearly with the number of workers.

`python benchmarks/preview_time.py --setup` measures instead what a new user waits for: `make preview` in a fresh
clone (this working tree's uncommitted changes copied in), with pip's cache as it is and with an empty one, then
`make venv` after it (what `make test` adds). Target: `make preview` under 60 s with an empty cache.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
RUNS = 7
SDK_IMPORTS = (
    "import pulumi, pulumi_hcloud, pulumi_cloudflare, pulumi_tls, pulumi_random, pulumi_command, pulumi_docker"
)
PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "components", "stack_config")


def median_seconds(command: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def with_workers(directory: Path, count: int) -> Path:
    """The program beside a staging stack file asking for `count` workers."""
    for name in PROGRAM_FILES:
        (directory / name).symlink_to(PROJECT_DIR / name)
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())
    balancer = "lb11" if count <= 25 else "lb21"
    stack["config"]["hetzner-coolify:workers"] = {"count": count, "loadBalancer": {"type": balancer}}
    (directory / "Pulumi.staging.yaml").write_text(yaml.safe_dump(stack))
    return directory


def fresh_clone(directory: Path) -> Path:
    """A clone of this repository with the working tree's changes: modified and new files copied, deleted removed."""
    clone = directory / "clone"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--modified", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source, target = PROJECT_DIR / name, clone / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif not source.exists():
            target.unlink(missing_ok=True)
    return clone


def timed_make(clone: Path, target: str, pip_cache: Path | None) -> float:
    environment = {**os.environ, **({"PIP_CACHE_DIR": str(pip_cache)} if pip_cache else {})}
    started = time.perf_counter()
    subprocess.run(["make", "-s", target], cwd=clone, env=environment, check=True, capture_output=True)
    return time.perf_counter() - started


def setup() -> None:
    for cache in ("as it is", "empty"):
        with tempfile.TemporaryDirectory(prefix="hetzner-coolify-setup-") as directory:
            empty = Path(directory) / "pip-cache" if cache == "empty" else None
            clone = fresh_clone(Path(directory))
            preview = timed_make(clone, "preview", empty)
            rest = timed_make(clone, "venv", empty)
        print(f"fresh clone, pip cache {cache:<9}  make preview {preview:5.1f} s   then make venv {rest:5.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--setup", action="store_true", help="time `make preview` in a fresh clone instead")
    if parser.parse_args().setup:
        setup()
        return
    baseline = median_seconds([sys.executable, "-c", SDK_IMPORTS])
    print(f"imports only          median of {RUNS}: {baseline:.2f} s")
    for stack in ("staging", "production"):
        command = [sys.executable, "-m", "preview", "--stack", stack]
        without = median_seconds([*command, "--no-policy-pack"])
        preview = median_seconds(command)
        print(
            f"preview {stack:<13} median of {RUNS}: {preview:.2f} s  ratio {preview / baseline:.2f}  "
            f"(without the policy pack {without:.2f} s; the pack adds {preview - without:+.2f} s)"
        )
    for count in (0, 10, 50):
        with tempfile.TemporaryDirectory() as directory:
            project = with_workers(Path(directory), count)
            seconds = median_seconds(
                [sys.executable, "-m", "preview", "--stack", "staging", "--project-dir", str(project)]
            )
        print(f"preview with {count:>2} workers median of {RUNS}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
