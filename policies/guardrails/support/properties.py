"""Reading resource properties the way the engine sends them, and the shared vocabulary of the rules.

During preview some values are unknown (ids, addresses, generated passwords). Reading one through
pulumi-policy's proxy raises, which aborts the whole policy for that resource. The helpers here
return UNKNOWN instead, so a rule judges what is known and leaves the rest to `pulumi up`, when
the engine runs the pack again with every value resolved.
"""

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema
from pulumi_policy.proxy import UnknownValueError

# Ports of databases, caches and daemons that must never face the internet (Trivy, KICS, Terrascan).
DATA_PORTS = {
    5432: "PostgreSQL",
    6379: "Redis",
    3306: "MySQL",
    27017: "MongoDB",
    9200: "Elasticsearch",
    11211: "memcached",
    2375: "Docker API",
    2376: "Docker API (TLS)",
}


def string_list(default: Sequence[str], description: str) -> dict[str, Any]:
    """A config property holding a list of strings, as a policy's config schema declares it."""
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


def port_list(default: Mapping[int, str], description: str) -> dict[str, Any]:
    """A config property holding a list of port numbers; `default` names the ports it lists."""
    return {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 65535},
        "default": sorted(default),
        "description": description,
    }


DATA_PORTS_SCHEMA = PolicyConfigSchema(
    properties={"dataPorts": port_list(DATA_PORTS, "Ports that must never be reachable from the internet.")}
)


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def get(mapping: Mapping[str, Any] | None, key: str, default: Any = None) -> Any:
    """mapping[key], `default` when absent, UNKNOWN when it can't be known yet."""
    if mapping is None or mapping is UNKNOWN:
        return default
    try:
        return mapping.get(key, default)
    except UnknownValueError:
        return UNKNOWN


def items(sequence: Sequence[Any] | None) -> Iterator[tuple[int, Any]]:
    """(index, item) for every item, unknown ones as UNKNOWN."""
    if sequence is None or sequence is UNKNOWN:
        return
    for index in range(len(sequence)):
        try:
            yield index, sequence[index]
        except UnknownValueError:
            yield index, UNKNOWN


def entries(mapping: Mapping[str, Any] | None) -> Iterator[tuple[str, Any]]:
    """(key, value) for every entry, unknown values as UNKNOWN."""
    if mapping is None or mapping is UNKNOWN:
        return
    for key in mapping:
        yield key, get(mapping, key)


def config_ports(config: Mapping[str, Any], key: str, default: Mapping[int, str]) -> dict[int, str]:
    """The ports configured under `key` (else `default`), named where `default` knows the service."""
    ports = config.get(key)
    if ports is None:
        return dict(default)
    return {int(port): default.get(int(port), f"port {int(port)}") for port in ports}


def port_range(port: Any) -> tuple[int, int]:
    """A Hetzner firewall port ('22', '80-85', 'any' or missing) as an inclusive range."""
    text = str(port).strip() if port not in (None, UNKNOWN) else "any"
    if text in ("", "any"):
        return 1, 65535
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        return 1, 65535  # unreadable: assume the worst


def networks(sources: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    parsed = []
    for _, source in items(sources):
        if source is UNKNOWN:
            continue
        try:
            parsed.append(ipaddress.ip_network(str(source).strip(), strict=False))
        except ValueError:
            continue
    return parsed


def world_sources(sources: Any) -> list[str]:
    """The sources that together open to the whole internet: any-address forms, or v4/v6 ranges covering it.

    No source list at all means everywhere.
    """
    if sources is None:
        return ["no source list, so everywhere"]
    if sources is UNKNOWN:
        return []
    parsed = networks(sources)
    found = []
    families: list[tuple[str, list[Any]]] = [
        ("0.0.0.0/0", [network for network in parsed if network.version == 4]),
        ("::/0", [network for network in parsed if network.version == 6]),
    ]
    for everything, family in families:
        if family and [str(network) for network in ipaddress.collapse_addresses(family)] == [everything]:
            found += [str(network) for network in family if network.prefixlen <= 1] or [
                f"{len(family)} ranges covering {everything}"
            ]
    return found


def public_sources(sources: Any) -> list[str]:
    """Sources reachable from the internet (globally routed), excluding the any-address forms."""
    return [str(network) for network in networks(sources) if network.is_global and network.prefixlen > 0]


def is_loopback(address: Any) -> bool:
    try:
        return ipaddress.ip_address(str(address).strip("[]")).is_loopback
    except ValueError:
        return str(address).strip().lower() == "localhost"


def env_pairs(envs: Any) -> Iterator[tuple[int, str, Any]]:
    """(index, NAME, value) of a docker `envs` list of 'NAME=value'; value UNKNOWN when unknown."""
    for index, entry in items(envs):
        if entry is UNKNOWN:
            continue
        name, separator, value = str(entry).partition("=")
        if separator:
            yield index, name, value


def image_name(image: Any) -> str:
    """'docker.io/library/postgres:16@sha256:..' -> 'postgres'; '' when unknown."""
    if image in (None, UNKNOWN):
        return ""
    path = str(image).split("@", 1)[0]
    last = path.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()
