"""The estimated monthly cost of a recorded stack, from the prices in stack_config/catalog.py.

A server or load balancer type the catalog does not price fails the section: an estimate that
silently counted it as free would be wrong without saying so.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from preview.engine import RecordedResource, RecordedStack
from preview.sections.section import SectionReport
from preview.values import UNKNOWN, reveal
from stack_config import catalog

# Nothing in a stack says how large its backups are: the estimate assumes 14 sets (7 daily, 4 weekly,
# 3 monthly) of 1 GB each.
ASSUMED_BACKUP_GB = 14
# The compact report's widest line.
WIDTH = 110


@dataclass(frozen=True)
class CostLine:
    item: str
    quantity: float
    unit_price: float
    unit: str = ""
    unconfirmed: bool = False

    @property
    def amount(self) -> float:
        return self.quantity * self.unit_price


class MissingPriceError(Exception):
    """A resource of a kind the catalog has no price for."""


def _server_lines(server: RecordedResource) -> list[CostLine]:
    inputs = reveal(server.inputs)
    name = inputs.get("serverType")
    server_type = catalog.SERVER_TYPES.get(name) if name is not UNKNOWN else None
    if server_type is None:
        raise MissingPriceError(f"{server.name}: server type {name!r} has no price in stack_config/catalog.py")
    price = server_type.monthly_eur
    lines = [CostLine(f"server {name}", 1, price, unconfirmed=not server_type.price_confirmed)]
    if inputs.get("backups") is True:
        lines.append(CostLine(f"Hetzner backups of a {name} (+20 %)", 1, round(price * catalog.SERVER_BACKUP_SHARE, 4)))
    # A server that takes no primary IP of its own gets an automatic one, billed the same.
    for net in inputs.get("publicNets") or []:
        if net.get("ipv4Enabled") and net.get("ipv4") is None:
            lines.append(CostLine("primary IPv4", 1, catalog.PRIMARY_IPV4_EUR))
    return lines


def _load_balancer_line(balancer: RecordedResource) -> CostLine:
    name = reveal(balancer.inputs).get("loadBalancerType")
    kind = catalog.LOAD_BALANCER_TYPES.get(name) if name is not UNKNOWN else None
    if kind is None:
        raise MissingPriceError(f"{balancer.name}: load balancer type {name!r} has no price in stack_config/catalog.py")
    return CostLine(f"load balancer {name}", 1, kind.monthly_eur, unconfirmed=not kind.price_confirmed)


def cost_lines(recording: RecordedStack) -> list[CostLine]:
    lines: list[CostLine] = []
    for resource in recording.resources:
        inputs = reveal(resource.inputs)
        if resource.type == "hcloud:index/server:Server":
            lines += _server_lines(resource)
        elif resource.type == "hcloud:index/primaryIp:PrimaryIp":
            ipv4 = inputs.get("type") == "ipv4"
            price = catalog.PRIMARY_IPV4_EUR if ipv4 else catalog.PRIMARY_IPV6_EUR
            lines.append(CostLine(f"primary {'IPv4' if ipv4 else 'IPv6'}", 1, price))
        elif resource.type == "hcloud:index/volume:Volume":
            lines.append(CostLine("volume", float(inputs.get("size") or 0), catalog.VOLUME_EUR_PER_GB, "GB"))
        elif resource.type == "hcloud:index/loadBalancer:LoadBalancer":
            lines.append(_load_balancer_line(resource))
        elif resource.type == "cloudflare:index/r2Bucket:R2Bucket":
            billable = max(0, ASSUMED_BACKUP_GB - catalog.R2_FREE_GB)
            lines.append(CostLine(f"R2 storage (assumed {ASSUMED_BACKUP_GB} GB, {catalog.R2_FREE_GB} GB free)",
                                  billable, catalog.R2_EUR_PER_GB, "GB"))  # fmt: skip
    return lines


def _rank(item: str, order: tuple[str, ...]) -> int:
    return next((position for position, prefix in enumerate(order) if item.startswith(prefix)), len(order))


def monthly_total(recording: RecordedStack) -> float:
    return round(sum(line.amount for line in cost_lines(recording)), 2)


class CostEstimate:
    title = "Cost"

    def __init__(self, compact: bool = False) -> None:
        self.compact = compact

    def render(self, recording: RecordedStack) -> SectionReport:
        heading = f"Estimated monthly cost, EUR net (price table of {catalog.CATALOG_DATE}: {catalog.PRICE_SOURCE}):"
        try:
            lines = cost_lines(recording)
        except MissingPriceError as error:
            return SectionReport(
                [heading, f"    error: {error}"], failed=True, problem=str(error), fix="the missing price"
            )
        grouped: defaultdict[tuple[str, float, str, bool], float] = defaultdict(float)
        # Servers first, then what each adds, then addresses, storage and the rest.
        order = ("server", "Hetzner backups", "primary", "volume", "load balancer", "R2")
        for line in sorted(lines, key=lambda line: (_rank(line.item, order), line.item)):
            grouped[line.item, line.unit_price, line.unit, line.unconfirmed] += line.quantity
        total = round(sum(line.amount for line in lines), 2)
        if self.compact:
            return SectionReport(_compact(grouped, total))
        rows = []
        for (item, unit_price, unit, unconfirmed), quantity in grouped.items():
            amount = quantity * unit_price
            count = f"{quantity:g} {unit}".strip()
            flag = "  (price unconfirmed)" if unconfirmed else ""
            rows.append(f"    {item:<52} {count:>8} x {unit_price:8.4f} = {amount:8.2f}{flag}")
        return SectionReport([heading, *rows, f"    {'total':<52} {'':>8}   {'':8}   {total:8.2f}"])


def _compact(grouped: Mapping[tuple[str, float, str, bool], float], total: float) -> list[str]:
    """The total, then each item with its amount on as few lines as fit."""
    items = []
    for (item, unit_price, unit, unconfirmed), quantity in grouped.items():
        if unit:  # R2's item already says how much it assumes
            what = item if item.startswith("R2") else f"{item} {quantity:g} {unit}"
        else:
            what = item if quantity == 1 else f"{quantity:g} x {item}"
        items.append(f"{what} {quantity * unit_price:.2f}{' (price unconfirmed)' if unconfirmed else ''}")
    heading = f"Cost: {total:.2f} EUR a month, net (estimate; prices of {catalog.CATALOG_DATE}; --details: the table):"
    lines = [heading, "   "]
    for item in items:
        # Items break between each other only, never inside one.
        if len(lines[-1]) > 4 and len(lines[-1]) + len(item) + 2 > WIDTH:
            lines[-1] += ";"
            lines.append("   ")
        lines[-1] += f"{';' if len(lines[-1]) > 4 else ''} {item}"
    return lines
