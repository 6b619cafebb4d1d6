"""Wall time of the policy pack on its own: from starting the process as the engine starts it to its last verdict
(configured, every resource of a stack analyzed, then the stack as a whole).

Not a test: timings depend on the machine. Run with `make benchmark`. Target: under 0.5 s for each shipped stack;
a staging stack with 50 workers (364 resources) is shown for scale: one Analyze call per resource, and pulumi-policy
reads every resource again for each stack policy.
"""

import statistics
import sys
import time
import warnings
from pathlib import Path

from preview.analyzer import PolicyPackProcess, analyzer_resources
from preview.engine import RecordedStack, run_program
from preview.mocks import PlanMocks
from preview.policy_config import resolve
from preview.stack_files import read_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
PACK_DIR = PROJECT_DIR / "policies"
RUNS = 7
TARGET_SECONDS = 0.5
SHIPPED = (("staging", 0), ("production", 0))
SCALE_STACK = "staging"


def analyzed_once(stack: str, recording: RecordedStack, config: dict[str, str]) -> tuple[float, int]:
    """Seconds from starting the pack to its last verdict, and how many verdicts it gave."""
    started = time.perf_counter()
    with PolicyPackProcess(PACK_DIR, "hetzner-coolify", stack) as pack:
        pack.configure(resolve(pack.defaults(), PACK_DIR / "config" / f"{stack}.json"), stack, "hetzner-coolify")
        resources = analyzer_resources(recording, config)
        found = pack.analyze(resources) + pack.analyze_stack(resources)
        # The verdicts are in: ending the process is the engine's business, after the deployment.
        return time.perf_counter() - started, len(found)


def main() -> int:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    slowest = 0.0
    for stack, workers in (*SHIPPED, (SCALE_STACK, 50)):
        settings = read_stack(PROJECT_DIR, stack)
        if workers:
            settings.config["hetzner-coolify:workers"] = f'{{"count": {workers}, "loadBalancer": {{"type": "lb21"}}}}'
        recording = run_program(PROJECT_DIR, settings, PlanMocks(), preview=True)
        timings = [analyzed_once(stack, recording, settings.config) for _ in range(RUNS)]
        median = statistics.median(seconds for seconds, _ in timings)
        if not workers:
            slowest = max(slowest, median)
        print(
            f"pack start + analysis  {stack:<10} {workers:>2} workers  {len(recording.resources):>4} resources  "
            f"median of {RUNS}: {median:.3f} s  ({timings[0][1]} violations)"
        )
    print(f"slowest shipped stack: median {slowest:.3f} s; target under {TARGET_SECONDS} s")
    return 0 if slowest < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
