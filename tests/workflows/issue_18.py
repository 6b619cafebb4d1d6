"""A historic insecure workflow, kept as a fixture: preview.yml as it was before issue 18, which the properties of
tests/workflows/properties.py must find wrong.
"""

import copy
from typing import Any

from tests.workflows.loading import current, parse

# preview.yml as it was: a same-repository pull request ran its own program on the deploy runner with the one
# passphrase that decrypts production's deploy key (root on the server) and a read/write key of the state.
ISSUE_18_PREVIEW = parse("""
on:
  pull_request:
permissions: {}
jobs:
  preview:
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}
    timeout-minutes: 30
    permissions:
      contents: read
      pull-requests: write
    strategy:
      fail-fast: false
      matrix:
        stack: [staging, production]
    concurrency:
      group: pulumi-${{ matrix.stack }}-preview-${{ github.event.pull_request.number }}
      cancel-in-progress: true
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        with:
          python-version: "3.11"
      - name: Program dependencies
        run: make venv
      - uses: pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0
        with:
          command: preview
          stack-name: ${{ matrix.stack }}
          cloud-url: ${{ secrets.PULUMI_BACKEND_URL }}
          pulumi-version: 3.272.0
          policyPacks: policies
          policyPackConfigs: policies/config/${{ matrix.stack }}.json
          comment-on-pr: true
          github-token: ${{ secrets.GITHUB_TOKEN }}
        env:
          PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
          AWS_ACCESS_KEY_ID: ${{ secrets.STATE_ACCESS_KEY_ID }}
          AWS_SECRET_ACCESS_KEY: ${{ secrets.STATE_SECRET_ACCESS_KEY }}
          HCLOUD_TOKEN: ${{ matrix.stack == 'production' && secrets.HCLOUD_READ_TOKEN_PRODUCTION || secrets.HCLOUD_READ_TOKEN_STAGING }}
          CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_READ_TOKEN }}
""")  # noqa: E501


def as_in_issue_18() -> dict[str, dict[Any, Any]]:
    return {**current(), "preview.yml": copy.deepcopy(ISSUE_18_PREVIEW)}
