"""Builds the policy pack; the engine runs this file as `python -m pulumi.policy <engine> policies/`."""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import ALL_POLICIES, PACK_NAME

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=ALL_POLICIES)
