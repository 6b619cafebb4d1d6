"""How the stack names and labels what it creates at the providers."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Naming:
    prefix: str
    """Physical names start with it (hetzner-coolify-staging-...); one per environment of the project."""
    labels: Mapping[str, str]
    """Labels of every Hetzner resource and Docker object of the stack."""
    comment: str
    """Says on DNS records who manages them."""

    @classmethod
    def for_environment(cls, environment: str) -> "Naming":
        project = pulumi.get_project()
        return cls(
            prefix=f"{project}-{environment}",
            labels={"environment": environment, "managed-by": "pulumi", "project": project},
            comment=f"Managed by Pulumi ({project}/{pulumi.get_stack()})",
        )
