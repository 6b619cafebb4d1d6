"""How the stack names and labels what it creates at the providers."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Naming:
    prefix: str
    """Physical names start with it (hetzner-coolify-staging-...): `<project>-<stack>`, so that two stacks of
    the project, whatever their environments, never name anything alike. The staging and production stacks keep
    the names they were deployed with, which were `<project>-<environment>`: their stacks bear those names."""
    labels: Mapping[str, str]
    """Labels of every Hetzner resource and Docker object of the stack. They select nothing (the firewall
    selects by its physical name): a label a deployed stack lacks would replace its Docker volumes, whose labels
    cannot change in place, so the stack's name is not one of them."""
    comment: str
    """Says on DNS records who manages them."""

    @classmethod
    def for_stack(cls, environment: str) -> "Naming":
        project = pulumi.get_project()
        stack = pulumi.get_stack()
        return cls(
            prefix=f"{project}-{stack}",
            labels={"environment": environment, "managed-by": "pulumi", "project": project},
            comment=f"Managed by Pulumi ({project}/{stack})",
        )
