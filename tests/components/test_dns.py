"""The DNS component with its host: records per stack, the zone lookup, per-record settings, the sslip.io
fallback, and app names on another address."""

import functools
from typing import Any

import pytest

from components.dns import Dns, DnsArgs
from components.server import PublicAddresses
from preview.engine import RecordedResource, RecordedStack
from stack_config import StackConfig
from tests.components.conftest import host, naming, observe, record_components

RECORD = "cloudflare:index/dnsRecord:DnsRecord"
BALANCER = PublicAddresses("49.12.1.7", "2a01:4f8:c0c:17::1")
GET_ZONE = "cloudflare:index/getZone:getZone"
LABELS = ("apex", "www", "coolify", "api", "wildcard")


def build(config: StackConfig, apps: PublicAddresses | None = None) -> None:
    main = host(config)
    dns = Dns("dns", DnsArgs(config.dns, config.domain, main.addresses, apps, naming(config)))
    observe("host", main, "ipv4_address", "ipv6_address")
    observe("dns", dns, "hostnames", "dashboard_hostname", "dashboard_url")


def record(stack: str, changes: dict[str, Any] | None = None) -> RecordedStack:
    return record_components(build, stack, changes)


@functools.cache
def shipped(stack: str) -> RecordedStack:
    return record(stack)


def address_records(recording: RecordedStack) -> dict[tuple[str, str], RecordedResource]:
    return {
        (record.inputs["type"], record.inputs["name"]): record
        for record in recording.of_type(RECORD)
        if record.inputs["type"] in ("A", "AAAA")
    }


@pytest.mark.parametrize(("stack", "base"), [("production", "example.com"), ("staging", "staging.example.com")])
def test_each_name_gets_a_and_aaaa_for_the_stable_addresses(stack: str, base: str) -> None:
    recording = shipped(stack)
    names = [base, f"www.{base}", f"coolify.{base}", f"api.{base}", f"*.{base}"]
    records = address_records(recording)
    assert set(records) == {(kind, name) for kind in ("A", "AAAA") for name in names}
    ipv4, ipv6 = recording.outputs["host.ipv4_address"], recording.outputs["host.ipv6_address"]
    for (kind, _), resource in records.items():
        assert resource.inputs["content"] == (ipv4 if kind == "A" else ipv6)
        assert resource.inputs["ttl"] == 1
        assert resource.inputs["proxied"] is False
        assert resource.inputs["zoneId"] == "0123456789abcdef0123456789abcdef"
    # DNS waits for the addresses only, never for the server.
    server = recording.named("host-server")
    assert all(server.urn not in resource.dependencies for resource in records.values())


@pytest.mark.parametrize(("stack", "base"), [("production", "example.com"), ("staging", "staging.example.com")])
def test_caa_allows_only_lets_encrypt(stack: str, base: str) -> None:
    caa = [record.inputs for record in shipped(stack).of_type(RECORD) if record.inputs["type"] == "CAA"]
    assert sorted(
        (entry["name"], entry["data"]["tag"], entry["data"]["value"], entry["data"]["flags"]) for entry in caa
    ) == [
        (base, "issue", "letsencrypt.org", 0),
        (base, "issuewild", "letsencrypt.org", 0),
    ]


def test_zone_is_looked_up_by_name_once() -> None:
    invokes = shipped("production").invokes
    assert [(invoke.token, invoke.args["filter"]) for invoke in invokes] == [
        (GET_ZONE, {"name": "example.com", "match": "all"})
    ]


def test_a_known_zone_id_skips_the_lookup() -> None:
    recording = record("production", {"dns": {"zoneId": "feedfacefeedfacefeedfacefeedface"}})
    assert recording.invokes == ()
    assert {resource.inputs["zoneId"] for resource in recording.of_type(RECORD)} == {"feedfacefeedfacefeedfacefeedface"}


def test_ttl_and_proxied_per_record() -> None:
    recording = record(
        "production", {"dns": {"defaults": {"ttl": 300}, "overrides": {"api": {"proxied": True}, "*": {"ttl": 3600}}}}
    )
    settings = {
        name: (res.inputs["ttl"], res.inputs["proxied"]) for (_, name), res in address_records(recording).items()
    }
    assert settings == {
        "example.com": (300, False),
        "www.example.com": (300, False),
        "coolify.example.com": (300, False),
        "api.example.com": (1, True),
        "*.example.com": (3600, False),
    }


def test_optional_records_can_be_left_out() -> None:
    recording = record(
        "staging", {"dns": {"apex": False, "www": False, "wildcard": False, "caa": False, "subdomains": []}}
    )
    assert {resource.inputs["name"] for resource in recording.of_type(RECORD)} == {"coolify.staging.example.com"}
    assert recording.outputs["dns.hostnames"] == {"coolify": "coolify.staging.example.com"}


def test_record_resource_names_are_stable() -> None:
    names = {resource.name for resource in shipped("staging").of_type(RECORD)}
    expected = {f"dns-{label}-{kind}" for label in LABELS for kind in ("a", "aaaa")}
    assert names == expected | {"dns-caa-issue", "dns-caa-issuewild"}


def test_without_a_domain_names_fall_back_to_sslip_io_and_nothing_is_created() -> None:
    recording = record("staging", {"domain": None})
    assert recording.of_type(RECORD) == []
    assert recording.invokes == ()
    ipv4 = recording.outputs["host.ipv4_address"]
    assert recording.outputs["dns.hostnames"] == {
        "@": f"{ipv4}.sslip.io",
        "www": f"www.{ipv4}.sslip.io",
        "coolify": f"coolify.{ipv4}.sslip.io",
        "api": f"api.{ipv4}.sslip.io",
        "*": f"*.{ipv4}.sslip.io",
    }
    assert recording.outputs["dns.dashboard_hostname"] == f"coolify.{ipv4}.sslip.io"


def test_production_hostnames_output() -> None:
    outputs = shipped("production").outputs
    assert outputs["dns.dashboard_hostname"] == "coolify.example.com"
    assert outputs["dns.hostnames"]["*"] == "*.example.com"
    assert outputs["dns.dashboard_url"] == "https://coolify.example.com"


def test_app_names_may_point_elsewhere_the_dashboard_stays_on_the_host() -> None:
    recording = record_components(lambda config: build(config, BALANCER), "production")
    records = address_records(recording)
    host_ipv4, host_ipv6 = recording.outputs["host.ipv4_address"], recording.outputs["host.ipv6_address"]
    for (kind, name), resource in records.items():
        on_host = name == "coolify.example.com"
        expected = (
            (host_ipv4 if kind == "A" else host_ipv6) if on_host else (BALANCER.ipv4 if kind == "A" else BALANCER.ipv6)
        )
        assert resource.inputs["content"] == expected, name
