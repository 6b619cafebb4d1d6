"""The pack's policies: every module of `rules/` is one policy, named after it (`POLICY`); helpers they
share are in `support/`. Adding a policy is adding a module to `rules/` (and its test)."""

import importlib
import pkgutil

from pulumi_policy import Policy

from . import rules

PACK_NAME = "hetzner-coolify-guardrails"


def _policies() -> list[Policy]:
    return [
        importlib.import_module(f"{rules.__name__}.{module.name}").POLICY
        for module in sorted(pkgutil.iter_modules(rules.__path__), key=lambda module: module.name)
    ]


POLICIES: list[Policy] = _policies()
