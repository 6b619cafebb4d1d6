"""Builds the policy pack; the engine runs this file as `python -m pulumi.policy <engine> policies/`."""

from guardrails import PACK_NAME, POLICIES
from guardrails.support.secret_marks import keep_secret_marks
from pulumi_policy import EnforcementLevel, PolicyPack

keep_secret_marks()
PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
