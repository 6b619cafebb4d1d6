"""What Hetzner Cloud offers, so that a typo or an unorderable choice fails before anything is created.

Source: the Hetzner Cloud API (`GET /v1/server_types`, `GET /v1/locations`) as mirrored in public
snapshots of 2025-10-21 (specs) and 2026-09-08 (orderable types), cross-checked with Hetzner's
changelog entry of 2025-10-16 (CX Gen 2 and CPX Gen 1 deprecated, removed from ordering by
2026-01). Catalog date: 2026-11-25. Stock per location changes daily and is not modelled: an
out-of-stock type fails at `pulumi up` with Hetzner's own message.
"""

from dataclasses import dataclass
from typing import Literal

EU_LOCATIONS = ("fsn1", "nbg1", "hel1")
ALL_LOCATIONS = ("fsn1", "nbg1", "hel1", "ash", "hil", "sin")

# Private networks span one network zone.
NETWORK_ZONES = {
    "fsn1": "eu-central",
    "nbg1": "eu-central",
    "hel1": "eu-central",
    "ash": "us-east",
    "hil": "us-west",
    "sin": "ap-southeast",
}

# Load balancer types and how many targets each takes.
LOAD_BALANCER_TARGETS = {"lb11": 25, "lb21": 75, "lb31": 150}
# Coolify's documented minimum for the host that runs Coolify itself.
COOLIFY_MIN_VCPUS = 2
COOLIFY_MIN_MEMORY_GB = 2


@dataclass(frozen=True)
class ServerType:
    name: str
    architecture: Literal["x86", "arm"]
    vcpus: int
    memory_gb: int
    disk_gb: int
    locations: tuple[str, ...]
    dedicated_cpu: bool = False


def _types(*rows: ServerType) -> dict[str, ServerType]:
    return {row.name: row for row in rows}


SERVER_TYPES = _types(
    ServerType("cx23", "x86", 2, 4, 40, EU_LOCATIONS),
    ServerType("cx33", "x86", 4, 8, 80, EU_LOCATIONS),
    ServerType("cx43", "x86", 8, 16, 160, EU_LOCATIONS),
    ServerType("cx53", "x86", 16, 32, 320, EU_LOCATIONS),
    ServerType("cax11", "arm", 2, 4, 40, EU_LOCATIONS),
    ServerType("cax21", "arm", 4, 8, 80, EU_LOCATIONS),
    ServerType("cax31", "arm", 8, 16, 160, EU_LOCATIONS),
    ServerType("cax41", "arm", 16, 32, 320, EU_LOCATIONS),
    ServerType("cpx12", "x86", 1, 2, 40, (*EU_LOCATIONS, "sin")),
    ServerType("cpx22", "x86", 2, 4, 80, (*EU_LOCATIONS, "sin")),
    ServerType("cpx32", "x86", 4, 8, 160, (*EU_LOCATIONS, "sin")),
    ServerType("cpx42", "x86", 8, 16, 320, (*EU_LOCATIONS, "sin")),
    ServerType("cpx52", "x86", 12, 24, 480, (*EU_LOCATIONS, "sin")),
    ServerType("cpx62", "x86", 16, 32, 640, (*EU_LOCATIONS, "sin")),
    ServerType("ccx13", "x86", 2, 8, 80, ALL_LOCATIONS, dedicated_cpu=True),
    ServerType("ccx23", "x86", 4, 16, 160, ALL_LOCATIONS, dedicated_cpu=True),
    ServerType("ccx33", "x86", 8, 32, 240, ALL_LOCATIONS, dedicated_cpu=True),
    ServerType("ccx43", "x86", 16, 64, 360, ALL_LOCATIONS, dedicated_cpu=True),
    ServerType("ccx53", "x86", 32, 128, 600, ALL_LOCATIONS, dedicated_cpu=True),
    ServerType("ccx63", "x86", 48, 192, 960, ALL_LOCATIONS, dedicated_cpu=True),
)

# Deprecated on 2025-10-16 and no longer orderable: name -> the successor to suggest.
RETIRED_SERVER_TYPES = {
    "cx22": "cx23",
    "cx32": "cx33",
    "cx42": "cx43",
    "cx52": "cx53",
    "cpx11": "cpx22",
    "cpx21": "cpx22",
    "cpx31": "cpx32",
    "cpx41": "cpx42",
    "cpx51": "cpx52",
}

# System images the bootstrap scripts are written and tested for (apt, systemd, OpenSSH >= 8.9).
SUPPORTED_IMAGES = ("ubuntu-24.04", "ubuntu-22.04", "debian-12", "debian-13")
