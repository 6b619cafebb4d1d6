"""What the "cloud" answers a program run under the recording engine.

`PlanMocks` answers like `pulumi preview` of a new stack: inputs come back, ids and computed outputs
are unknown. `ApplyMocks` answers like `pulumi up` did: ids, addresses, keys and generated secrets of
the shapes the providers return. Its values derive from each resource's name, so two runs of the same
program get the same answers and recordings can be compared.
"""

import hashlib
import random
import string
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

FAKE_DEPLOY_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeDeployKeyOnlyForTestsxxxxxxxxxxxxxxxxx deploy"
FAKE_COOLIFY_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICoolifyRootKeyOnlyForTestsxxxxxxxxxxxxxxxxx"
FAKE_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIServerHostKeyOnlyForTestsxxxxxxxxxxxxxxxxxx"
FAKE_SIGNING_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBackupSigningKeyOnlyForTestsxxxxxxxxxxxxxxx"
FAKE_PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nfake key material for tests\n-----END OPENSSH PRIVATE KEY-----\n"
)
FAKE_ZONE_ID = "0123456789abcdef0123456789abcdef"
FAKE_ACCOUNT_ID = "fedcba9876543210fedcba9876543210"


def _offline_zone(args: Mapping[str, Any]) -> dict[str, Any]:
    """The zone looked up by name (`filter`) or by id, as far as the program reads it."""
    name = args["filter"]["name"] if args.get("filter") else f"zone {args['zoneId']}"
    zone_id = args.get("zoneId") or f"offline-zone-id-of-{name}"
    # Invoke results use the provider's wire names (camelCase).
    return {"zoneId": zone_id, "id": zone_id, "name": name, "account": {"id": "offline-account-id", "name": ""}}


# Invokes read real data even during `pulumi preview`; offline they get clearly marked stand-ins.
OFFLINE_INVOKES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "cloudflare:index/getZone:getZone": _offline_zone,
}


class PlanMocks(pulumi.runtime.Mocks):
    """Answers like `pulumi preview` of a new stack: inputs come back, ids and computed outputs are unknown."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return "", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        answer = OFFLINE_INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(f"the offline preview has no stand-in for invoke {args.token}; add one")
        return answer(args.args), []


def _number(name: str, below: int) -> int:
    """A number in [0, below) that only depends on `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % below


def _password(name: str, inputs: Mapping[str, Any]) -> str:
    """Like pulumi-random: letters and digits, plus specials unless `special` is false."""
    specials = "" if inputs.get("special") is False else inputs.get("overrideSpecial", "!@#$%&*()-_=+[]{}<>:?")
    alphabet = string.ascii_letters + string.digits + specials
    length = int(inputs["length"])
    chooser = random.Random(name)  # a stand-in, reproducible on purpose
    required = [chooser.choice(specials) for _ in range(int(inputs.get("minSpecial", 0)))] if specials else []
    return "".join(required + [chooser.choice(alphabet) for _ in range(length - len(required))])


def printed_by(step: str) -> str:
    """What a step's script prints, where the stack uses it: Coolify's key, a server's host key as first met, the
    backup job's signing key (pulumi-command trims one trailing newline: pulumi/pulumi-command@v1.2.1:provider/pkg/
    provider/local/commandOutputs.go:142, remote/commandOutputs.go:104)."""
    if step.endswith("-coolify-key"):
        return FAKE_COOLIFY_PUBLIC_KEY + "\n"
    if step.endswith("-wait-for-ssh"):
        return FAKE_HOST_KEY
    if step.endswith("-install-job"):
        return FAKE_SIGNING_KEY
    return ""


class ApplyMocks(pulumi.runtime.Mocks):
    """Per-type outputs as the providers return them after creation (wire names, camelCase)."""

    def __init__(self) -> None:
        self.generated: dict[str, str] = {}
        """Resource name -> the secret it generated (passwords, private keys, tokens)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        number = _number(args.name, 250) + 1
        resource_id = f"{args.name}-id"
        if args.typ.startswith("hcloud:"):
            resource_id = str(1_000_000 + _number(args.name, 10**9))  # hcloud ids are integers on the wire
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
            # The TLS provider ends an OpenSSH public key with a newline (hashicorp/terraform-provider-tls@v4.2.1:
            # internal/provider/common_key.go:201-208).
            state.update(publicKeyOpenssh=f"{FAKE_DEPLOY_PUBLIC_KEY}\n", privateKeyOpenssh=FAKE_PRIVATE_KEY)
            self.generated[args.name] = FAKE_PRIVATE_KEY
        elif args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = _password(args.name, args.inputs)
            self.generated[args.name] = state["result"]
        elif args.typ in ("command:remote:Command", "command:local:Command"):
            state.update(stdout=printed_by(args.name), stderr="")
        elif args.typ == "hcloud:index/loadBalancer:LoadBalancer":
            state.update(ipv4=f"49.12.1.{number}", ipv6=f"2a01:4f8:c0c:1{number:x}::1")
        elif args.typ == "cloudflare:index/accountToken:AccountToken":
            digest = hashlib.sha256(f"token of {args.name}".encode()).hexdigest()
            resource_id, state["value"] = digest[:32], f"{digest[32:]}-fake-token-value"
            self.generated[args.name] = state["value"]
        elif args.typ == "cloudflare:index/dnsRecord:DnsRecord":
            resource_id = hashlib.sha256(args.name.encode()).hexdigest()[:32]
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            # The pulled image's id and its registry digest, as Docker reports them.
            digest = hashlib.sha256(str(args.inputs["name"]).encode()).hexdigest()
            state.update(
                imageId=f"sha256:{digest}", repoDigest=f"{str(args.inputs['name']).split(':')[0]}@sha256:{digest}"
            )
            resource_id = f"sha256:{digest}{args.inputs['name']}"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "cloudflare:index/getZone:getZone":
            zone_id = args.args.get("zoneId") or FAKE_ZONE_ID
            name = args.args["filter"]["name"] if args.args.get("filter") else "example.com"
            return {"zoneId": zone_id, "id": zone_id, "name": name, "account": {"id": FAKE_ACCOUNT_ID, "name": ""}}, []
        raise NotImplementedError(args.token)
