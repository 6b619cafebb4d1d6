"""What the providers offer and what it costs: the one table the configuration's allowed values and the
preview's cost estimate are both read from.

Hetzner Cloud, as of 2026-11-25:
- Server types and locations: the Hetzner Cloud API (`GET /v1/server_types`, `GET /v1/locations`) as
  mirrored in public snapshots of 2025-10-21 (specs) and 2026-09-08 (orderable types), cross-checked
  with Hetzner's changelog entry of 2025-10-16 (CX Gen 2 and CPX Gen 1 deprecated, removed from ordering
  by 2026-01). Stock per location changes daily and is not modelled: an out-of-stock type fails at
  `pulumi up` with Hetzner's own message.
- Server prices: EUR per month, net of VAT, EU locations, for new orders since Hetzner's price
  adjustment of 2026-06-15, as returned by its pricing API (`GET /v1/pricing`, snapshot of 2026-09-08)
  and listed on hetzner.com (whose figures include a primary IPv4, 0.50 more). CCX63 has no published
  figure since then and carries its April 2026 price: unconfirmed.
- Primary IPs, volumes, load balancers and backups: unchanged by the June adjustment; primary IPv4 0.50,
  IPv6 free, volumes 0.0572 per GB (API, 2026-05-27), backups 20 % of the server, LB11 7.49. LB21 and
  LB31 were not published in a source we could read: their prices are the pre-April 2026 ones raised
  like LB11's (+39 %), unconfirmed.
Cloudflare R2: USD 0.015 per GB-month of standard storage, the first 10 GB free, no egress fees;
converted at 0.87 EUR per USD.
"""

from dataclasses import dataclass
from typing import Literal

CATALOG_DATE = "2026-11-25"
PRICE_SOURCE = "Hetzner pricing API and hetzner.com (2026-06-15 prices); Cloudflare R2 pricing"


@dataclass(frozen=True)
class Location:
    name: str
    network_zone: str
    """Private networks span one network zone."""


LOCATIONS = {
    location.name: location
    for location in (
        Location("fsn1", "eu-central"),
        Location("nbg1", "eu-central"),
        Location("hel1", "eu-central"),
        Location("ash", "us-east"),
        Location("hil", "us-west"),
        Location("sin", "ap-southeast"),
    )
}
EU_LOCATIONS = ("fsn1", "nbg1", "hel1")


@dataclass(frozen=True)
class ServerType:
    name: str
    architecture: Literal["x86", "arm"]
    vcpus: int
    memory_gb: int
    disk_gb: int
    locations: tuple[str, ...]
    monthly_eur: float
    dedicated_cpu: bool = False
    price_confirmed: bool = True


SERVER_TYPES = {
    server_type.name: server_type
    for server_type in (
        ServerType("cx23", "x86", 2, 4, 40, EU_LOCATIONS, 5.49),
        ServerType("cx33", "x86", 4, 8, 80, EU_LOCATIONS, 8.49),
        ServerType("cx43", "x86", 8, 16, 160, EU_LOCATIONS, 15.99),
        ServerType("cx53", "x86", 16, 32, 320, EU_LOCATIONS, 29.49),
        ServerType("cax11", "arm", 2, 4, 40, EU_LOCATIONS, 5.99),
        ServerType("cax21", "arm", 4, 8, 80, EU_LOCATIONS, 10.49),
        ServerType("cax31", "arm", 8, 16, 160, EU_LOCATIONS, 20.99),
        ServerType("cax41", "arm", 16, 32, 320, EU_LOCATIONS, 40.99),
        ServerType("cpx12", "x86", 1, 2, 40, (*EU_LOCATIONS, "sin"), 11.49),
        ServerType("cpx22", "x86", 2, 4, 80, (*EU_LOCATIONS, "sin"), 19.49),
        ServerType("cpx32", "x86", 4, 8, 160, (*EU_LOCATIONS, "sin"), 35.49),
        ServerType("cpx42", "x86", 8, 16, 320, (*EU_LOCATIONS, "sin"), 69.49),
        ServerType("cpx52", "x86", 12, 24, 480, (*EU_LOCATIONS, "sin"), 100.49),
        ServerType("cpx62", "x86", 16, 32, 640, (*EU_LOCATIONS, "sin"), 129.99),
        ServerType("ccx13", "x86", 2, 8, 80, tuple(LOCATIONS), 42.99, dedicated_cpu=True),
        ServerType("ccx23", "x86", 4, 16, 160, tuple(LOCATIONS), 85.99, dedicated_cpu=True),
        ServerType("ccx33", "x86", 8, 32, 240, tuple(LOCATIONS), 138.49, dedicated_cpu=True),
        ServerType("ccx43", "x86", 16, 64, 360, tuple(LOCATIONS), 275.99, dedicated_cpu=True),
        ServerType("ccx53", "x86", 32, 128, 600, tuple(LOCATIONS), 533.49, dedicated_cpu=True),
        ServerType("ccx63", "x86", 48, 192, 960, tuple(LOCATIONS), 374.49, dedicated_cpu=True, price_confirmed=False),
    )
}

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

# Coolify's documented minimum for the host that runs Coolify itself.
COOLIFY_MIN_VCPUS = 2
COOLIFY_MIN_MEMORY_GB = 2

# System images the bootstrap scripts are written and tested for (apt, systemd, OpenSSH >= 8.9).
SUPPORTED_IMAGES = ("ubuntu-24.04", "ubuntu-22.04", "debian-12", "debian-13")


@dataclass(frozen=True)
class LoadBalancerType:
    name: str
    max_targets: int
    monthly_eur: float
    price_confirmed: bool = True


LOAD_BALANCER_TYPES = {
    balancer.name: balancer
    for balancer in (
        LoadBalancerType("lb11", 25, 7.49),
        LoadBalancerType("lb21", 75, 22.79, price_confirmed=False),
        LoadBalancerType("lb31", 150, 45.73, price_confirmed=False),
    )
}

PRIMARY_IPV4_EUR = 0.50
PRIMARY_IPV6_EUR = 0.00
VOLUME_EUR_PER_GB = 0.0572
SERVER_BACKUP_SHARE = 0.20

R2_EUR_PER_GB = round(0.015 * 0.87, 5)
R2_FREE_GB = 10
