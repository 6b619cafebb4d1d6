"""The `domain`'s records: the `dns` section (components/dns.py)."""

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field

from stack_config.base import ConfigModel, KeyedValueError
from stack_config.types import CloudflareZoneId, DnsLabel, DnsNamespace, Form, Ttl

APEX = "@"
WILDCARD = "*"
# Each label becomes an A and an AAAA record; 50 is far more than a Coolify host serves and keeps a typo from
# creating thousands of records.
MAX_SUBDOMAINS = 50


class DnsRecordSettings(ConfigModel):
    ttl: Ttl = Field(default=1, description="TTL in seconds, 60-86400, or 1 for Cloudflare's automatic TTL (300 s).")
    proxied: bool = Field(
        default=False,
        description="Route through Cloudflare's proxy. Off by default: Coolify's proxy gets Let's Encrypt "
        "certificates itself, and proxied names deeper than one label below the zone get no edge certificate.",
    )

    def problems(self) -> Iterator[KeyedValueError]:
        if self.proxied and self.ttl != 1:
            yield KeyedValueError(
                "ttl", "{ttl} is not allowed on a proxied record; Cloudflare requires 1 (automatic)", ttl=self.ttl
            )


class DnsSettings(ConfigModel):
    zone_id: CloudflareZoneId | None = Field(
        default=None, description="Cloudflare zone id; by default the zone is looked up by the domain's name."
    )
    namespace: DnsNamespace = Field(
        description="Labels between the records and the domain: 'staging' gives staging.example.com and "
        "*.staging.example.com. Default: '' for the stack named production, the stack's name for every other "
        "stack (staging, dev, pr-123), so that two stacks never write the same names."
    )
    apex: bool = Field(default=True, description="A/AAAA records for the name space itself.")
    www: bool = Field(default=True, description="A/AAAA records for www.")
    dashboard: DnsLabel = Field(default="coolify", description="Label of the Coolify dashboard's name.")
    subdomains: list[DnsLabel] = Field(
        default=["api"], max_length=MAX_SUBDOMAINS, description="Further labels for apps, e.g. api."
    )
    wildcard: bool = Field(default=True, description="A/AAAA records for * so Coolify can give every app a name.")
    caa: bool = Field(default=True, description="CAA records that allow only Let's Encrypt to issue certificates.")
    defaults: DnsRecordSettings = Field(default=DnsRecordSettings(), description="TTL and proxied for every record.")
    overrides: Annotated[
        dict[str, DnsRecordSettings],
        Form("a mapping of record labels ('@', 'www', '*' or a subdomain) to mappings with the keys ttl, proxied"),
    ] = Field(default={}, description="TTL and proxied per record, keyed by label: '@', 'www', '*', or a subdomain.")

    def labels(self) -> list[str]:
        """Record labels relative to the name space, '@' being the name space itself."""
        chosen = ([APEX] if self.apex else []) + (["www"] if self.www else []) + [self.dashboard, *self.subdomains]
        return chosen + ([WILDCARD] if self.wildcard else [])

    def app_labels(self) -> list[str]:
        """The labels of names an app may answer on: all but the wildcard and the dashboard."""
        return [label for label in self.labels() if label not in (WILDCARD, self.dashboard)]

    def settings_for(self, label: str) -> DnsRecordSettings:
        return self.overrides.get(label, self.defaults)

    def records(self) -> dict[str, DnsRecordSettings]:
        return {label: self.settings_for(label) for label in self.labels()}

    def base_name(self, domain: str) -> str:
        """The name space's own name: the domain, or the namespace's labels in front of it."""
        return ".".join(part for part in (self.namespace, domain) if part)

    def problems(self) -> Iterator[KeyedValueError]:
        labels = self.labels()
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            yield KeyedValueError(
                "subdomains",
                "{duplicates} appear more than once (www and the dashboard count too)",
                duplicates=duplicates,
            )
        unknown = sorted(set(self.overrides) - set(labels))
        if unknown:
            yield KeyedValueError(
                "overrides",
                "{unknown} are not records of this stack; allowed: {allowed}",
                unknown=unknown,
                allowed=", ".join(labels),
            )
        namespace_depth = len(self.namespace.split(".")) if self.namespace else 0
        too_deep = [
            label for label in labels if self.settings_for(label).proxied and namespace_depth + (label != APEX) > 1
        ]
        if too_deep:
            yield KeyedValueError(
                "defaults" if self.defaults.proxied else "overrides",
                "{too_deep} cannot be proxied: Cloudflare's universal certificate covers only names one label below "
                "the zone, and the name space {namespace!r} puts them deeper; keep them DNS-only",
                too_deep=too_deep,
                namespace=self.namespace,
            )


def record_name(label: str, base: str) -> str:
    """The full name of a record label under the name space `base` ('@' being `base` itself)."""
    return base if label == APEX else f"{label}.{base}"
