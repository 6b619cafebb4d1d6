"""A resource's key facts in a few words, for the compact report: what a reader checks before `pulumi up`.

One function per resource type that has more to say than its physical name (the `name` input most providers
take); every other resource shows that name, if it has one. Secrets are never shown and values the engine
knows only after `pulumi up` are named by the resource they come from where the recording says so.
"""

from collections.abc import Callable, Mapping
from typing import Any

from components import server_scripts
from preview.engine import RecordedResource, RecordedStack
from preview.sections.summary import STACK_TYPE
from preview.values import UNKNOWN, Secret

# A fact longer than this is cut: the line is a summary, `--details` has the whole value.
MAX_FACT = 48
ANYWHERE = frozenset({"0.0.0.0/0", "::/0"})

Facts = Callable[[RecordedResource, RecordedStack], list[str]]


def _text(value: Any) -> str | None:
    """A plain value as text; None for a secret, an unknown, a structure or nothing."""
    if isinstance(value, Secret) or value is UNKNOWN or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).splitlines()[0] if str(value) else ""
    return text if len(text) <= MAX_FACT else f"{text[: MAX_FACT - 1]}…"


def _source(resource: RecordedResource, key: str) -> str | None:
    """The value of input `key`; when the engine knows it only after `pulumi up`, the resources it comes from."""
    value = resource.inputs.get(key)
    if (text := _text(value)) is not None:
        return text
    if value is UNKNOWN and resource.property_dependencies.get(key):
        return ", ".join(sorted({dependency.rsplit("::", 1)[-1] for dependency in resource.property_dependencies[key]}))
    return None


def _named(*parts: str | None, name: Any = None) -> list[str]:
    """The parts that say something, then the physical name, quoted as the provider's console shows it."""
    physical = _text(name)
    return [part for part in (*parts, f'"{physical}"' if physical else None) if part]


def _in_location(what: Any, inputs: Mapping[str, Any]) -> str | None:
    """`cx33 in nbg1`, or whichever of the two is known."""
    return " in ".join(part for part in (_text(what), _text(inputs.get("location"))) if part) or None


def _server(resource: RecordedResource, _: RecordedStack) -> list[str]:
    inputs = resource.inputs
    return _named(_in_location(inputs.get("serverType"), inputs), _text(inputs.get("image")), name=inputs.get("name"))


def _primary_ip(resource: RecordedResource, _: RecordedStack) -> list[str]:
    return _named(_in_location(resource.inputs.get("type"), resource.inputs), name=resource.inputs.get("name"))


def _firewall(resource: RecordedResource, _: RecordedStack) -> list[str]:
    """Each rule as port/protocol, grouped by where it admits traffic from: `22/tcp (2 sources)`, `443/tcp (any)`."""
    groups: dict[str, list[str]] = {}
    for rule in resource.inputs.get("rules") or []:
        if not isinstance(rule, Mapping):
            continue
        protocol, port = _text(rule.get("protocol")) or "?", _text(rule.get("port"))
        inbound = rule.get("direction", "in") == "in"
        peers = rule.get("sourceIps" if inbound else "destinationIps")
        noun = "source" if inbound else "destination"
        if not isinstance(peers, list):
            where = f"? {noun}s"
        elif peers and set(peers) <= ANYWHERE:
            where = "any"
        else:
            where = f"{len(peers)} {noun}{'s' if len(peers) != 1 else ''}"
        direction = "" if inbound else "out "
        groups.setdefault(where, []).append(f"{direction}{port}/{protocol}" if port else f"{direction}{protocol}")
    # No physical name: the ports and their sources are what to check, and the line stays short.
    return [", ".join(f"{' '.join(ports)} ({where})" for where, ports in groups.items()) or "no rules"]


def _firewall_attachment(resource: RecordedResource, _: RecordedStack) -> list[str]:
    selectors = resource.inputs.get("labelSelectors")
    servers = resource.inputs.get("serverIds")
    parts = []
    if isinstance(selectors, list) and selectors:
        parts.append(f"servers labelled {', '.join(str(_text(item)) for item in selectors)}")
    if isinstance(servers, list) and servers:
        parts.append(f"{len(servers)} server{'s' if len(servers) != 1 else ''}")
    return parts


def _volume(resource: RecordedResource, _: RecordedStack) -> list[str]:
    size = _text(resource.inputs.get("size"))
    return _named(_in_location(f"{size} GB" if size else None, resource.inputs), name=resource.inputs.get("name"))


def _dns_record(resource: RecordedResource, recording: RecordedStack) -> list[str]:
    inputs = resource.inputs
    record = " ".join(part for part in (_text(inputs.get("type")), _text(inputs.get("name"))) if part)
    data = inputs.get("data")
    if isinstance(data, Mapping):
        target = " ".join(text for key in ("tag", "value") if (text := _text(data.get(key))))
    else:
        target = _source(resource, "content") or ""
    proxied = "proxied" if inputs.get("proxied") is True else None
    return [part for part in (f"{record} → {target}" if target else record, proxied) if part]


def _r2_bucket(resource: RecordedResource, _: RecordedStack) -> list[str]:
    return _named(_text(resource.inputs.get("jurisdiction")), name=resource.inputs.get("name"))


def _r2_bucket_lock(resource: RecordedResource, _: RecordedStack) -> list[str]:
    ages = []
    for rule in resource.inputs.get("rules") or []:
        condition = rule.get("condition") if isinstance(rule, Mapping) else None
        seconds = condition.get("maxAgeSeconds") if isinstance(condition, Mapping) else None
        if isinstance(seconds, int):
            ages.append(f"{seconds // 86400} days" if seconds % 86400 == 0 else f"{seconds} s")
    return [f"objects locked {', '.join(ages)}"] if ages else []


def _command(resource: RecordedResource, _: RecordedStack) -> list[str]:
    stdin = resource.inputs.get("stdin")
    script = server_scripts.script_sent_as(stdin) if isinstance(stdin, str) else None
    if script:
        return [f"runs {script}"]
    create = _text(resource.inputs.get("create"))
    return [f"runs `{create}`"] if create else []


def _container(resource: RecordedResource, recording: RecordedStack) -> list[str]:
    image = resource.inputs.get("image")
    shown = _text(image)
    if shown is None and image is UNKNOWN:
        # The image is the RemoteImage's id, known after the pull: its `name` input says which image it is.
        urns = set(resource.property_dependencies.get("image", ()))
        pulled = [_text(item.inputs.get("name")) for item in recording.resources if item.urn in urns]
        shown = ", ".join(name for name in pulled if name) or None
    name = _text(resource.inputs.get("name"))
    return [part for part in (shown, f"as {name}" if name else None) if part]


def _random_password(resource: RecordedResource, _: RecordedStack) -> list[str]:
    length = _text(resource.inputs.get("length"))
    return [f"{length} characters"] if length else []


def _private_key(resource: RecordedResource, _: RecordedStack) -> list[str]:
    return [text] if (text := _text(resource.inputs.get("algorithm"))) else []


def _load_balancer(resource: RecordedResource, _: RecordedStack) -> list[str]:
    inputs = resource.inputs
    return _named(_in_location(inputs.get("loadBalancerType"), inputs), name=inputs.get("name"))


def _load_balancer_service(resource: RecordedResource, _: RecordedStack) -> list[str]:
    inputs = resource.inputs
    ports = "→".join(text for key in ("listenPort", "destinationPort") if (text := _text(inputs.get(key))))
    return [part for part in (_text(inputs.get("protocol")), ports) if part]


def _ip_range(resource: RecordedResource, _: RecordedStack) -> list[str]:
    inputs = resource.inputs
    return _named(_text(inputs.get("ipRange")), _text(inputs.get("networkZone")), name=inputs.get("name"))


def _private_ip(resource: RecordedResource, _: RecordedStack) -> list[str]:
    return [text] if (text := _text(resource.inputs.get("ip"))) else []


def _docker_provider(resource: RecordedResource, _: RecordedStack) -> list[str]:
    host = _source(resource, "host")
    return [f"Docker daemon at {host}"] if host else []


BY_TYPE: dict[str, Facts] = {
    "hcloud:index/server:Server": _server,
    "hcloud:index/primaryIp:PrimaryIp": _primary_ip,
    "hcloud:index/firewall:Firewall": _firewall,
    "hcloud:index/firewallAttachment:FirewallAttachment": _firewall_attachment,
    "hcloud:index/volume:Volume": _volume,
    "hcloud:index/loadBalancer:LoadBalancer": _load_balancer,
    "hcloud:index/loadBalancerService:LoadBalancerService": _load_balancer_service,
    "hcloud:index/network:Network": _ip_range,
    "hcloud:index/networkSubnet:NetworkSubnet": _ip_range,
    "hcloud:index/serverNetwork:ServerNetwork": _private_ip,
    "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": _private_ip,
    "cloudflare:index/dnsRecord:DnsRecord": _dns_record,
    "cloudflare:index/r2Bucket:R2Bucket": _r2_bucket,
    "cloudflare:index/r2BucketLock:R2BucketLock": _r2_bucket_lock,
    "command:remote:Command": _command,
    "command:local:Command": _command,
    "docker:index/container:Container": _container,
    "random:index/randomPassword:RandomPassword": _random_password,
    "tls:index/privateKey:PrivateKey": _private_key,
    "pulumi:providers:docker": _docker_provider,
}


def key_facts(resource: RecordedResource, recording: RecordedStack) -> str:
    """What the compact report says of a resource besides its type and name; '' when nothing."""
    if not resource.custom:
        if resource.type == STACK_TYPE:
            return ""
        children = len(recording.children(resource.urn))
        return f"{resource.type}, {children} resource{'s' if children != 1 else ''}"
    facts = BY_TYPE.get(resource.type)
    parts = facts(resource, recording) if facts else _named(name=resource.inputs.get("name"))
    return ", ".join(parts)
