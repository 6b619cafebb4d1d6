"""The `dns` section: what is refused, in one line that names the key."""

from typing import Any

from tests.stack_config.conftest import bad_values, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    (
        "staging",
        {"dns": {"namespace": "Staging!"}},
        "hetzner-coolify:dns.namespace: 'Staging!' is not a DNS name space; allowed: '' or labels of 1-63 of a-z, "
        "0-9 and '-' (not starting or ending with '-') joined by dots, at most 253 characters",
    ),
    (
        "staging",
        {"dns": {"subdomains": ["api", "API"]}},
        "hetzner-coolify:dns.subdomains[1]: 'API' is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"dns": {"subdomains": ["api", "www"]}},
        "hetzner-coolify:dns.subdomains: ['www'] appear more than once (www and the dashboard count too)",
    ),
    (
        "staging",
        {"dns": {"dashboard": "-coolify"}},
        "hetzner-coolify:dns.dashboard: '-coolify' is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"dns": {"defaults": {"ttl": 30}}},
        "hetzner-coolify:dns.defaults.ttl: 30 is out of range; allowed: 1 (automatic) or 60-86400",
    ),
    (
        "production",
        {"dns": {"overrides": {"api": {"proxied": True, "ttl": 300}}}},
        "hetzner-coolify:dns.overrides.api.ttl: 300 is not allowed on a proxied record; Cloudflare requires 1 "
        "(automatic)",
    ),
    (
        "staging",
        {"dns": {"overrides": {"mail": {"ttl": 300}}}},
        "hetzner-coolify:dns.overrides: ['mail'] are not records of this stack; allowed: @, www, coolify, api, *",
    ),
    (
        "staging",
        {"dns": {"overrides": {"api": {"proxied": True}}}},
        "hetzner-coolify:dns.overrides: ['api'] cannot be proxied: Cloudflare's universal certificate covers only "
        "names one label below the zone, and the name space 'staging' puts them deeper; keep them DNS-only",
    ),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]
