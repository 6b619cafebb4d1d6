"""Wall time of the offline preview against a python that only imports the provider SDKs.

Not a test: timings depend on the machine. Run with `make benchmark`. Targets: a ratio <= 1.5, and
at most 0.5 s added by the policy pack.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RUNS = 7
SDK_IMPORTS = "import pulumi, pulumi_hcloud, pulumi_cloudflare, pulumi_tls, pulumi_random"


def median_seconds(command: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


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


if __name__ == "__main__":
    main()
