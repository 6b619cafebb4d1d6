"""Mocks that answer like `pulumi up` did: realistic ids, addresses, keys and generated secrets."""

import hashlib
import itertools
import secrets
import string
from typing import Any

import pulumi

FAKE_DEPLOY_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeDeployKeyOnlyForTestsxxxxxxxxxxxxxxxxx deploy"
FAKE_COOLIFY_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICoolifyRootKeyOnlyForTestsxxxxxxxxxxxxxxxxx"
FAKE_PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nfake key material for tests\n-----END OPENSSH PRIVATE KEY-----\n"
)


def _password(inputs: dict[str, Any]) -> str:
    """Like pulumi-random: letters and digits, plus specials unless `special` is false."""
    specials = "" if inputs.get("special") is False else inputs.get("overrideSpecial", "!@#$%&*()-_=+[]{}<>:?")
    alphabet = string.ascii_letters + string.digits + specials
    length = int(inputs["length"])
    required = [secrets.choice(specials) for _ in range(int(inputs.get("minSpecial", 0)))] if specials else []
    return "".join(required + [secrets.choice(alphabet) for _ in range(length - len(required))])


class ApplyMocks(pulumi.runtime.Mocks):
    """Per-type outputs as the providers return them after creation (wire names, camelCase)."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.generated: dict[str, str] = {}
        """Resource name -> the secret it generated (passwords, private keys)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        number = next(self._numbers)
        state = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ.startswith("hcloud:"):
            resource_id = str(1000 + number)  # hcloud ids are integers on the wire
        if args.typ == "hcloud:index/primaryIp:PrimaryIp":
            # Public addresses from Hetzner's ranges: documentation ranges would not be globally routed.
            if args.inputs["type"] == "ipv4":
                state["ipAddress"] = f"49.12.0.{number}"
            else:
                state["ipNetwork"] = f"2a01:4f8:c0c:{number:x}::/64"
                state["ipAddress"] = f"2a01:4f8:c0c:{number:x}::"
        elif args.typ == "hcloud:index/server:Server":
            state.update(ipv4Address="49.12.0.250", ipv6Address="2a01:4f8:c0c:ff::1", status="running")
        elif args.typ == "tls:index/privateKey:PrivateKey":
            state.update(publicKeyOpenssh=FAKE_DEPLOY_PUBLIC_KEY, privateKeyOpenssh=FAKE_PRIVATE_KEY)
            self.generated[args.name] = FAKE_PRIVATE_KEY
        elif args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = _password(args.inputs)
            self.generated[args.name] = state["result"]
        elif args.typ in ("command:remote:Command", "command:local:Command"):
            # What the scripts print; only reading Coolify's key prints something the stack uses.
            state.update(stdout=FAKE_COOLIFY_PUBLIC_KEY + "\n" if args.name.endswith("-coolify-key") else "", stderr="")
        elif args.typ == "hcloud:index/loadBalancer:LoadBalancer":
            state.update(ipv4=f"49.12.1.{number % 250}", ipv6=f"2a01:4f8:c0c:1{number:x}::1")
        elif args.typ == "cloudflare:index/accountToken:AccountToken":
            resource_id = secrets.token_hex(16)
            state["value"] = secrets.token_urlsafe(30)
            self.generated[args.name] = state["value"]
        elif args.typ == "cloudflare:index/dnsRecord:DnsRecord":
            resource_id = hashlib.sha256(args.name.encode()).hexdigest()[:32]
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "cloudflare:index/getZone:getZone":
            return {"zoneId": "0123456789abcdef0123456789abcdef", "name": args.args["filter"]["name"]}, []
        raise NotImplementedError(args.token)
