"""What the providers do with a resource's inputs, as read in their own sources at the pinned versions.

For each resource type the stack uses: the inputs whose change replaces the resource (everything else is
updated in place), and what the provider stores after a create when that differs from what it was sent
(the API's normal form, a value read back into a key the program leaves out). The engine diffs a
program's inputs against that stored state, so an input that the provider stores differently shows as a
change on every `pulumi up`. `RoundTripMocks` answers with the stored form; `changed_inputs` is the
engine's comparison.

The pinned SDKs bridge these upstream providers (the newest tag each snapshot holds whose text matches
the installed SDK): hetznercloud/terraform-provider-hcloud@v1.68.0, cloudflare/terraform-provider-cloudflare
@v5.22.0, kreuzwerker/terraform-provider-docker@v4.5.0, hashicorp/terraform-provider-random@v3.9.0,
hashicorp/terraform-provider-tls@v4.2.1; pulumi/pulumi-command@v1.2.1 is native.
"""

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from preview.mocks import ApplyMocks
from preview.values import from_wire, reveal

HCLOUD = "hetznercloud/terraform-provider-hcloud@v1.68.0"
CLOUDFLARE = "cloudflare/terraform-provider-cloudflare@v5.22.0"
DOCKER = "kreuzwerker/terraform-provider-docker@v4.5.0"
COMMAND = "pulumi/pulumi-command@v1.2.1"


@dataclass(frozen=True)
class ResourceModel:
    replaced_by: frozenset[str]
    """Top-level inputs (wire names) whose change replaces the resource."""
    source: str
    updated_in_place: frozenset[str] | None = None
    """When set, every other input replaces the resource (Docker containers)."""
    stored: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """What the provider keeps after a create, given what it was sent; None: what it was sent."""
    read_back: frozenset[str] = field(default_factory=frozenset)
    """Optional inputs the provider reads back from the API when the program leaves them out, and then
    compares with nothing (not computed): a change on every run."""
    delete_before_replace: bool = False
    """The provider deletes the old resource before it creates the replacement (in the SDK's resource
    info), whatever the program's options say: the resource is gone in between."""

    def replaces(self, key: str) -> bool:
        if self.updated_in_place is not None:
            return key not in self.updated_in_place
        return key in self.replaced_by


def _stored_ssh_key(inputs: dict[str, Any]) -> dict[str, Any]:
    # Hetzner's API trims keys (changelog 2026-04-22) and the provider keeps its answer (internal/sshkey/common.go:28).
    return {**inputs, "publicKey": str(inputs["publicKey"]).strip()}


def _stored_token(inputs: dict[str, Any]) -> dict[str, Any]:
    # The API's JSON text, compact, kept as it came (internal/services/account_token/custom.go:108-122).
    policies = [
        {**policy, "resources": json.dumps(json.loads(policy["resources"]), separators=(",", ":"))}
        for policy in inputs.get("policies", [])
    ]
    return {**inputs, "policies": policies}


def _stored_primary_ip(inputs: dict[str, Any]) -> dict[str, Any]:
    # Created by location, then assigned through the server: the API answers "unassigned" at create
    # (CHANGELOG.md:126-139, internal/primaryip/resource.go:206-212).
    return inputs if "assigneeId" in inputs else {**inputs, "assigneeType": "unassigned"}


_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def go_duration(text: str) -> str:
    """A duration as Go's time.Duration.String() writes it (what the Docker provider reads back)."""
    match = _DURATION.fullmatch(text)
    if not match or not text:
        return text
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


def _stored_container(inputs: dict[str, Any]) -> dict[str, Any]:
    stored = dict(inputs)
    if "healthcheck" in inputs:
        durations = ("interval", "timeout", "startPeriod", "startInterval")
        stored["healthcheck"] = {
            key: go_duration(value) if key in durations else value for key, value in inputs["healthcheck"].items()
        }
    if "memory" in inputs and "memorySwap" not in inputs:
        # Docker's default swap limit is twice the memory, read back into memory_swap
        # (internal/provider/resource_docker_container_funcs.go:940-944).
        stored["memorySwap"] = 2 * int(inputs["memory"])
    return stored


_CONTAINER_UPDATES = frozenset({
    "restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "cpuSet", "memorySwap", "mustRun",
    "rm", "start", "wait", "waitTimeout", "attach", "logs", "removeVolumes", "destroyGraceSeconds", "healthcheck",
})  # fmt: skip

# Every resource type the stack creates, and the provider's resource "pulumi:providers:docker".
MODELS: dict[str, ResourceModel] = {
    "hcloud:index/server:Server": ResourceModel(
        frozenset({"image", "location", "userData", "sshKeys", "datacenter"}),
        f"{HCLOUD}:internal/server/resource.go:54-114 (server_type, public_nets: updated, the server powered off)",
    ),
    "hcloud:index/primaryIp:PrimaryIp": ResourceModel(
        frozenset({"type", "location", "datacenter"}),
        f"{HCLOUD}:internal/primaryip/resource.go:85-107",
        stored=_stored_primary_ip,
    ),
    "hcloud:index/sshKey:SshKey": ResourceModel(
        frozenset({"publicKey"}), f"{HCLOUD}:internal/sshkey/resource.go:68-74", stored=_stored_ssh_key
    ),
    "hcloud:index/firewall:Firewall": ResourceModel(frozenset(), f"{HCLOUD}:internal/firewall/resource.go:34-136"),
    "hcloud:index/firewallAttachment:FirewallAttachment": ResourceModel(
        frozenset({"firewallId"}), f"{HCLOUD}:internal/firewall/attachment_resource.go:35-57"
    ),
    "hcloud:index/volume:Volume": ResourceModel(
        frozenset({"location"}), f"{HCLOUD}:internal/volume/resource.go:42-47 (format, automount: create only)"
    ),
    "hcloud:index/volumeAttachment:VolumeAttachment": ResourceModel(
        frozenset({"volumeId", "serverId"}), f"{HCLOUD}:internal/volume/resource_attachment.go:31-40"
    ),
    "hcloud:index/network:Network": ResourceModel(
        frozenset({"ipRange"}), f"{HCLOUD}:internal/network/resource.go:37-41"
    ),
    "hcloud:index/networkSubnet:NetworkSubnet": ResourceModel(
        frozenset({"networkId", "type", "networkZone", "ipRange", "vswitchId"}),
        f"{HCLOUD}:internal/network/resource_subnet.go:35-68",
    ),
    "hcloud:index/serverNetwork:ServerNetwork": ResourceModel(
        frozenset({"serverId", "networkId", "subnetId", "ip"}), f"{HCLOUD}:internal/server/resource_network.go:73-108"
    ),
    "hcloud:index/placementGroup:PlacementGroup": ResourceModel(
        frozenset(), f"{HCLOUD}:internal/placementgroup/resource.go:50-62"
    ),
    "hcloud:index/loadBalancer:LoadBalancer": ResourceModel(
        frozenset({"location", "networkZone"}), f"{HCLOUD}:internal/loadbalancer/resource.go:48-59"
    ),
    "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": ResourceModel(
        frozenset({"loadBalancerId", "networkId", "subnetId", "ip"}),
        f"{HCLOUD}:internal/loadbalancer/resource_network.go:72-107",
    ),
    "hcloud:index/loadBalancerService:LoadBalancerService": ResourceModel(
        frozenset({"loadBalancerId", "protocol", "listenPort"}),
        f"{HCLOUD}:internal/loadbalancer/resource_service.go:39-59",
    ),
    "hcloud:index/loadBalancerTarget:LoadBalancerTarget": ResourceModel(
        frozenset({"loadBalancerId", "serverId", "labelSelector", "ip"}),
        f"{HCLOUD}:internal/loadbalancer/resource_target.go:52-75",
    ),
    "cloudflare:index/dnsRecord:DnsRecord": ResourceModel(
        frozenset({"zoneId", "type"}), f"{CLOUDFLARE}:internal/services/dns_record/schema.go:44-98"
    ),
    "cloudflare:index/r2Bucket:R2Bucket": ResourceModel(
        frozenset({"accountId", "name"}),
        f"{CLOUDFLARE}:internal/services/r2_bucket/schema.go:59-73 (location: kept from the first create)",
    ),
    # Rules are put in place with the same API call as a create; an empty delete leaves the lock at Cloudflare
    # (resource.go:56-97,189-191).
    "cloudflare:index/r2BucketLock:R2BucketLock": ResourceModel(
        frozenset({"accountId", "bucketName"}),
        f"{CLOUDFLARE}:internal/services/r2_bucket_lock/schema.go:24-33 (jurisdiction, rules: updated)",
    ),
    "cloudflare:index/accountToken:AccountToken": ResourceModel(
        frozenset({"accountId"}), f"{CLOUDFLARE}:internal/services/account_token/schema.go:61-65", stored=_stored_token
    ),
    "docker:index/container:Container": ResourceModel(
        frozenset(),
        f"{DOCKER}:internal/provider/resource_docker_container.go:50-1186, "
        "resource_docker_container_funcs.go:1016-1019",
        updated_in_place=_CONTAINER_UPDATES,
        stored=_stored_container,
        read_back=frozenset({"memorySwap"}),
        # pulumi/pulumi-docker@v5.1.0:provider/resources.go:112-114 (a container's name is unique on its host).
        delete_before_replace=True,
    ),
    "docker:index/remoteImage:RemoteImage": ResourceModel(
        frozenset({"name", "pullTriggers", "triggers", "platform"}),
        f"{DOCKER}:internal/provider/resource_docker_image.go:36-95",
    ),
    "docker:index/volume:Volume": ResourceModel(
        frozenset({"name", "labels", "driver", "driverOpts"}),
        f"{DOCKER}:internal/provider/resource_docker_volume.go:41-66",
    ),
    # A new host or ssh options update the provider; nothing it manages is recreated (pulumi/pulumi-terraform-bridge
    # @v3.136.0:pkg/tfbridge/provider.go:841-894).
    "pulumi:providers:docker": ResourceModel(frozenset(), "pulumi/pulumi-docker@v5.1.0:provider/resources.go:94-102"),
    # Only triggers replace; any other change reruns the create command in place.
    "command:local:Command": ResourceModel(
        frozenset({"triggers"}),
        f"{COMMAND}:provider/pkg/provider/common/inputs.go:10, local/commandController.go:67-90",
    ),
    "command:remote:Command": ResourceModel(
        frozenset({"triggers"}),
        f"{COMMAND}:provider/pkg/provider/common/inputs.go:10, remote/commandController.go:63-83",
    ),
    "random:index/randomPassword:RandomPassword": ResourceModel(
        frozenset(
            {
                "length",
                "special",
                "upper",
                "lower",
                "number",
                "numeric",
                "minNumeric",
                "minUpper",
                "minLower",
                "minSpecial",
                "overrideSpecial",
                "keepers",
            }
        ),
        "hashicorp/terraform-provider-random@v3.9.0:internal/provider/resource_password.go:570-720",
    ),
    "tls:index/privateKey:PrivateKey": ResourceModel(
        frozenset({"algorithm", "rsaBits", "ecdsaCurve"}),
        "hashicorp/terraform-provider-tls@v4.2.1:internal/provider/resource_private_key.go:57-85",
    ),
}

# What holds data or an identity that a replacement or a delete would lose.
STATEFUL_TYPES = frozenset({
    "hcloud:index/server:Server", "hcloud:index/primaryIp:PrimaryIp", "hcloud:index/volume:Volume",
    "cloudflare:index/r2Bucket:R2Bucket", "docker:index/volume:Volume",
})  # fmt: skip


def model(resource_type: str) -> ResourceModel | None:
    """The model of a provider's resource; components and the stack have none."""
    return MODELS.get(resource_type)


def stored_state(resource_type: str, inputs: dict[str, Any]) -> dict[str, Any]:
    known = MODELS.get(resource_type)
    return known.stored(inputs) if known and known.stored else dict(inputs)


def changed_inputs(resource_type: str, state: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[str]:
    """The inputs the engine would find changed, given the stored state and a program's inputs."""
    known = MODELS.get(resource_type)
    keys = set(inputs) | (set(known.read_back) & set(state) if known else set())
    return sorted(key for key in keys if inputs.get(key) != state.get(key))


class RoundTripMocks(ApplyMocks):
    """ApplyMocks whose answers are what the providers store after a create (`stored_state`), as the state
    a second `pulumi up` is diffed against; `states` keeps them by resource name."""

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        state = stored_state(args.typ, state)
        # Kept as values, secrets revealed: what the engine compares.
        self.states[args.name] = reveal(from_wire(state))
        return resource_id, state
