"""cloudflare-dns-record-disallow-private-addresses, through the pack: a compliant record, then one change per case."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource


class TestDnsPrivateAddresses:
    POLICY = "cloudflare-dns-record-disallow-private-addresses"

    @staticmethod
    def record(content: Any, kind: str = "A") -> Resource:
        return Resource(
            "cloudflare:index/dnsRecord:DnsRecord",
            {"name": "app.example.com", "type": kind, "content": content, "ttl": 1},
        )

    @pytest.mark.parametrize(("content", "kind"), [("49.12.0.1", "A"), ("2a01:4f8:c0c:1::1", "AAAA"), (UNKNOWN, "A")])
    def test_public_or_unknown_addresses_pass(self, check: Check, content: Any, kind: str) -> None:
        assert check(self.POLICY, self.record(content, kind)) == []

    @pytest.mark.parametrize(
        ("content", "kind"),
        [("10.0.0.5", "A"), ("192.168.1.10", "A"), ("127.0.0.1", "A"), ("100.64.0.1", "A"), ("203.0.113.5", "A"),
         ("169.254.1.1", "A"), ("fd00::1", "AAAA"), ("::1", "AAAA"), ("fe80::1", "AAAA")],
    )  # fmt: skip
    def test_private_addresses_are_refused(self, check: Check, content: str, kind: str) -> None:
        assert check(self.POLICY, self.record(content, kind)) == [
            f"app.example.com points at {content}, which is not reachable from the internet (private, loopback, "
            "link-local, shared or documentation range)."
        ]

    @pytest.mark.parametrize(
        ("content", "inner"),
        [
            ("64:ff9b::a00:5", "10.0.0.5"),
            ("64:ff9b:1::c0a8:10a", "192.168.1.10"),
            ("2002:a00:5::1", "10.0.0.5"),
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("::c0a8:10a", "192.168.1.10"),
            ("2001:0:4136:e378:8000:63bf:f5ff:fffa", "10.0.0.5"),
        ],
        ids=["nat64", "nat64-local-use", "6to4", "mapped", "compatible", "teredo"],
    )
    def test_private_ipv4_in_ipv6_spellings_is_refused(self, check: Check, content: str, inner: str) -> None:
        assert check(self.POLICY, self.record(content, "AAAA")) == [
            f"app.example.com points at {content} (the IPv4 address {inner} in an IPv6 spelling), which is not "
            "reachable from the internet (private, loopback, link-local, shared or documentation range)."
        ]

    def test_a_public_ipv4_in_an_ipv6_spelling_passes(self, check: Check) -> None:
        assert check(self.POLICY, self.record("64:ff9b::310c:1", "AAAA")) == []

    def test_other_record_types_are_ignored(self, check: Check) -> None:
        assert check(self.POLICY, self.record("10.0.0.5", "TXT")) == []

    def test_content_that_is_no_address_is_reported(self, check: Check) -> None:
        assert check(self.POLICY, self.record("localhost")) == [
            "app.example.com A record content 'localhost' is not an address."
        ]
