"""Wall time of the offline preview: against a python that only imports the provider SDKs, with and
without the policy pack, and as workers are added.

Not a test: timings depend on the machine. Run with `make benchmark`. Targets: a ratio <= 1.5, at
most 0.5 s added by the policy pack, and time growing at most linearly with the number of workers.
"""

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


def main() -> None:
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
