"""Policies of Cloudflare account tokens, each scoped to one resource."""

import json
from collections.abc import Sequence

import pulumi
import pulumi_cloudflare as cloudflare


def scoped_policy(permission_groups: Sequence[str], resource: pulumi.Input[str]) -> cloudflare.AccountTokenPolicyArgs:
    """Allow `permission_groups` on `resource` (e.g. com.cloudflare.api.account.zone.<id>) and nothing else.

    The resources go as compact JSON, the form the API answers with: the provider keeps the API's text in its
    state, so any other spelling is a change on every run (cloudflare/terraform-provider-cloudflare@v5.22.0:
    internal/services/account_token/custom.go:108-122, schema.go:94-100).
    """
    return cloudflare.AccountTokenPolicyArgs(
        effect="allow",
        permission_groups=[cloudflare.AccountTokenPolicyPermissionGroupArgs(id=group) for group in permission_groups],
        resources=pulumi.Output.from_input(resource).apply(
            lambda name: json.dumps({name: "*"}, separators=(",", ":"), sort_keys=True)
        ),
    )
