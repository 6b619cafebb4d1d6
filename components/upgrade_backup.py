"""A backup that must succeed before an upgrade touches data: Coolify's version (its migrations change its own database)
or the app's Postgres image (a new major version, an extension's upgrade).

Children: one `remote.Command`, `<name>-run` (scripts/backup-before-upgrade.sh), whose inputs are the Coolify
version and the Postgres image: a change of either runs it again, and it runs the installed backup job when what
runs on the server differs from what is asked for. Coolify's installation waits for it, and so does everything
after Coolify, the Postgres container among them; a failed backup fails `pulumi up` before anything is upgraded.

It cannot wait for the backup job's own installation (components/backups.py), which needs the database it backs up
and so comes after the container: it uses the job an earlier `pulumi up` installed, and refuses an upgrade on a
server that has none.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.host import Host
from components.remote_steps import remote_step
from components.service_containers import POSTGRES_HOST


@dataclass(frozen=True)
class UpgradeBackupArgs:
    host: Host
    coolify_version: str
    postgres_image: str | None
    """The image the app's Postgres is to run; None when the stack runs no Postgres."""
    after: Sequence[pulumi.Resource]
    """What must be in place before the step reaches the server (its hardening)."""


class UpgradeBackup(pulumi.ComponentResource):
    done: pulumi.Resource
    """The backup step: whatever upgrades Coolify or Postgres waits for it."""

    def __init__(self, name: str, args: UpgradeBackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:backups:UpgradeBackup", name, None, opts)
        self.done = remote_step(
            f"{name}-run",
            args.host.access,
            "backup-before-upgrade.sh",
            {
                "COOLIFY_VERSION": args.coolify_version,
                "POSTGRES_CONTAINER": POSTGRES_HOST if args.postgres_image else "",
                "POSTGRES_IMAGE": args.postgres_image or "",
            },
            parent=self,
            after=args.after,
        )
        self.register_outputs({})
