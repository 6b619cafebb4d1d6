"""The cost estimate against figures computed by hand from the price table."""

from collections.abc import Callable

import pytest

from preview.engine import RecordedResource, RecordedStack
from preview.sections.cost import CostEstimate, monthly_total
from stack_config import catalog
from tests.conftest import record

Recorded = Callable[[str, str], RecordedStack]

# By hand, from stack_config/catalog.py:
#   staging: cx33 8.49 + primary IPv4 0.50 + IPv6 0.00 + R2 (14 - 10 GB) x 0.01305 = 0.0522  -> 9.04
#   production: cx43 15.99 + backups 20 % 3.198 + IPv4 0.50 + IPv6 0 + volume 100 GB x 0.0572 = 5.72
#               + R2 0.0522                                                                    -> 25.46
#   production with 3 cx33 workers and an lb11: + 3 x (8.49 + 0.50 automatic IPv4) + 7.49     -> 59.92
EXPECTED = {"staging": 9.04, "production": 25.46}


@pytest.mark.parametrize("mode", ["plan", "apply"])
@pytest.mark.parametrize("stack", ["staging", "production"])
def test_shipped_stacks_cost_what_the_table_says(recorded: Recorded, stack: str, mode: str) -> None:
    assert monthly_total(recorded(stack, mode)) == EXPECTED[stack]


def test_workers_and_a_load_balancer_add_their_price() -> None:
    assert monthly_total(record("production", {"workers": {"count": 3}})) == 59.92


def test_the_report_names_its_table_and_each_line(recorded: Recorded) -> None:
    lines = CostEstimate().render(recorded("production", "plan")).lines
    assert lines[0] == (
        f"Estimated monthly cost, EUR net (price table of {catalog.CATALOG_DATE}: {catalog.PRICE_SOURCE}):"
    )
    assert lines[1].split() == ["server", "cx43", "1", "x", "15.9900", "=", "15.99"]
    assert lines[2].split()[-1] == "3.20"
    assert lines[-1].split() == ["total", "25.46"]


def test_unconfirmed_prices_are_marked() -> None:
    recording = record("production", {"workers": {"count": 30, "loadBalancer": {"type": "lb21"}}})
    text = "\n".join(CostEstimate().render(recording).lines)
    assert "load balancer lb21" in text and "(price unconfirmed)" in text


def test_a_server_type_without_a_price_fails_the_estimate() -> None:
    server = RecordedResource("urn:server", "hcloud:index/server:Server", "web", inputs={"serverType": "cx99"})
    report = CostEstimate().render(RecordedStack("p", "s", (server,), ()))
    assert report.failed
    assert report.lines[-1] == "    error: web: server type 'cx99' has no price in stack_config/catalog.py"


def test_a_load_balancer_type_without_a_price_fails_the_estimate() -> None:
    balancer = RecordedResource(
        "urn:lb", "hcloud:index/loadBalancer:LoadBalancer", "front", inputs={"loadBalancerType": "lb99"}
    )
    report = CostEstimate().render(RecordedStack("p", "s", (balancer,), ()))
    assert report.failed
    assert report.lines[-1] == "    error: front: load balancer type 'lb99' has no price in stack_config/catalog.py"


def test_every_orderable_type_has_a_price() -> None:
    assert all(kind.monthly_eur > 0 for kind in catalog.SERVER_TYPES.values())
    assert all(kind.monthly_eur > 0 for kind in catalog.LOAD_BALANCER_TYPES.values())


def test_the_compact_report_gives_the_total_and_each_item_on_few_lines(recorded: Recorded) -> None:
    lines = CostEstimate(compact=True).render(recorded("production", "plan")).lines
    assert lines[0].startswith(f"Cost: 25.46 EUR a month, net (estimate; prices of {catalog.CATALOG_DATE};")
    items = " ".join(lines[1:])
    assert "server cx43 15.99;" in items and "volume 100 GB 5.72;" in items
    assert len(lines) <= 3 and all(len(line) <= 110 for line in lines)


def test_a_missing_price_fails_the_compact_report_too() -> None:
    server = RecordedResource("urn:server", "hcloud:index/server:Server", "web", inputs={"serverType": "cx99"})
    report = CostEstimate(compact=True).render(RecordedStack("p", "s", (server,), ()))
    assert report.failed and report.fix == "the missing price"
    assert report.problem == "web: server type 'cx99' has no price in stack_config/catalog.py"
