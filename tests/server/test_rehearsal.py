"""The production stack's steps, run on a booted Debian machine as pulumi up runs them."""

from tests.server.conftest import Deployment
from tests.server.rehearsal import LOCAL, REMOTE


def test_every_step_ran_except_those_only_coolifys_cdn_can_serve(deployment: Deployment) -> None:
    steps = {resource.name for resource in deployment.recording.resources if resource.type in (LOCAL, REMOTE)}
    rehearsal = deployment.rehearsal
    assert set(rehearsal.skipped) == {"coolify-install-coolify", "coolify-wait-for-coolify", "coolify-direct-ports"}
    assert set(rehearsal.runs) == steps - set(rehearsal.skipped)
    assert "[wait-for-ssh] server ready" in rehearsal.runs["host-wait-for-ssh"].stderr
    assert "[harden-host] host hardened" in rehearsal.runs["host-harden-host"].stderr
    assert "mounted volume" in rehearsal.runs["data-postgres-volume-mount"].stderr
    assert "[install-backup] backup job installed" in rehearsal.runs["backups-install-job"].stderr
