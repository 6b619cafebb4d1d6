"""The estimated monthly cost of a recorded stack, from the price table in prices.py."""

from collections import defaultdict
from dataclasses import dataclass

from preview import prices
from preview.engine import RecordedResource, RecordedStack
from preview.section import SectionReport
from preview.values import UNKNOWN, reveal


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


def _server_lines(server: RecordedResource) -> list[CostLine]:
    inputs = reveal(server.inputs)
    server_type = inputs.get("serverType")
    price = prices.SERVERS.get(server_type, 0.0) if server_type is not UNKNOWN else 0.0
    lines = [CostLine(f"server {server_type}", 1, price, unconfirmed=server_type in prices.UNCONFIRMED)]
    if inputs.get("backups") is True:
        lines.append(CostLine(f"Hetzner backups of a {server_type} (+20 %)", 1, round(price * prices.BACKUP_SHARE, 4)))
    # A server that takes no primary IP of its own gets an automatic one, billed the same.
    for net in inputs.get("publicNets") or []:
        if net.get("ipv4Enabled") and net.get("ipv4") is None:
            lines.append(CostLine("primary IPv4", 1, prices.PRIMARY_IPV4))
    return lines


def cost_lines(recording: RecordedStack) -> list[CostLine]:
    lines: list[CostLine] = []
    for resource in recording.resources:
        inputs = reveal(resource.inputs)
        if resource.type == "hcloud:index/server:Server":
            lines += _server_lines(resource)
        elif resource.type == "hcloud:index/primaryIp:PrimaryIp":
            ipv4 = inputs.get("type") == "ipv4"
            lines.append(
                CostLine(
                    f"primary {'IPv4' if ipv4 else 'IPv6'}", 1, prices.PRIMARY_IPV4 if ipv4 else prices.PRIMARY_IPV6
                )
            )
        elif resource.type == "hcloud:index/volume:Volume":
            lines.append(CostLine("volume", float(inputs.get("size") or 0), prices.VOLUME_PER_GB, "GB"))
        elif resource.type == "hcloud:index/loadBalancer:LoadBalancer":
            kind = inputs.get("loadBalancerType")
            lines.append(
                CostLine(
                    f"load balancer {kind}",
                    1,
                    prices.LOAD_BALANCERS.get(kind, 0.0),
                    unconfirmed=kind in prices.UNCONFIRMED,
                )
            )
        elif resource.type == "cloudflare:index/r2Bucket:R2Bucket":
            billable = max(0, prices.ASSUMED_BACKUP_GB - prices.R2_FREE_GB)
            lines.append(CostLine(f"R2 storage (assumed {prices.ASSUMED_BACKUP_GB} GB, {prices.R2_FREE_GB} GB free)",
                                  billable, prices.R2_PER_GB, "GB"))  # fmt: skip
    return lines


def _rank(item: str, order: tuple[str, ...]) -> int:
    return next((position for position, prefix in enumerate(order) if item.startswith(prefix)), len(order))


def monthly_total(recording: RecordedStack) -> float:
    return round(sum(line.amount for line in cost_lines(recording)), 2)


class CostEstimate:
    title = "Cost"

    def render(self, recording: RecordedStack) -> SectionReport:
        grouped: defaultdict[tuple[str, float, str, bool], float] = defaultdict(float)
        # Servers first, then what each adds, then addresses, storage and the rest.
        order = ("server", "Hetzner backups", "primary", "volume", "load balancer", "R2")
        for line in sorted(cost_lines(recording), key=lambda line: (_rank(line.item, order), line.item)):
            key = (line.item, line.unit_price, line.unit, line.unconfirmed)
            grouped[key] += line.quantity
        rows = []
        for (item, unit_price, unit, unconfirmed), quantity in grouped.items():
            amount = quantity * unit_price
            count = f"{quantity:g} {unit}".strip()
            flag = "  (price unconfirmed)" if unconfirmed else ""
            rows.append(f"    {item:<52} {count:>8} x {unit_price:8.4f} = {amount:8.2f}{flag}")
        lines = [
            f"Estimated monthly cost, EUR net (price table of {prices.PRICE_TABLE_DATE}: {prices.PRICE_TABLE_SOURCE}):",
            *rows,
            f"    {'total':<52} {'':>8}   {'':8}   {monthly_total(recording):8.2f}",
        ]
        return SectionReport(lines)
