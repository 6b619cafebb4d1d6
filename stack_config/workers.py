"""The `workers` section: servers for Coolify's apps behind a load balancer (components/workers.py)."""

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from stack_config import catalog
from stack_config.base import ConfigModel, KeyedValueError
from stack_config.types import LoadBalancerTypeName, RecordLabel, ServerTypeName


class LoadBalancerSettings(ConfigModel):
    type: LoadBalancerTypeName = Field(default="lb11", description="Hetzner load balancer type.")
    dns: bool = Field(default=True, description="Point the app names (all but the dashboard's) at the load balancer.")
    health_check_label: RecordLabel = Field(
        default="api",
        description="App record whose name the load balancer's HTTP health check asks for on each worker; "
        "a worker is healthy when Coolify's proxy answers for that app.",
    )
    certificates: Literal["dns-01", "http-01"] = Field(
        default="dns-01",
        description="How the workers' proxies get certificates for the app names: dns-01, one wildcard "
        "certificate from Let's Encrypt through Cloudflare DNS, issued on the main server and installed on every "
        "worker; http-01, each proxy on its own (one worker only: behind the load balancer the challenge "
        "reaches a worker at random).",
    )


class WorkerSettings(ConfigModel):
    count: int = Field(
        default=0, ge=0, le=100, description="Worker servers for Coolify's apps; 0 runs apps on the main server."
    )
    type: ServerTypeName = Field(default="cx33", description="Hetzner server type of the workers.")
    load_balancer: LoadBalancerSettings = Field(
        default=LoadBalancerSettings(), description="The load balancer in front of the workers."
    )

    def problems(self) -> Iterator[KeyedValueError]:
        if self.count > 1 and self.load_balancer.dns and self.load_balancer.certificates == "http-01":
            yield KeyedValueError(
                "loadBalancer.certificates",
                "'http-01' with {count} workers: Let's Encrypt's HTTP challenge for an app name reaches a "
                "worker at random through the load balancer, and certificates fail; use dns-01",
                count=self.count,
            )
        limit = catalog.LOAD_BALANCER_TYPES[self.load_balancer.type].max_targets
        if self.count > limit:
            bigger = [name for name, kind in catalog.LOAD_BALANCER_TYPES.items() if kind.max_targets >= self.count]
            yield KeyedValueError(
                "count",
                "{count} workers exceed the {limit} targets of a {type}; use workers.loadBalancer.type {bigger}",
                count=self.count,
                limit=limit,
                type=self.load_balancer.type,
                bigger=" or ".join(bigger),
            )
