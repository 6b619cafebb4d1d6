"""The `rotation` section: one counter per generated secret; raising it by one and running `pulumi up` rotates that
secret (components/data_services.py, components/backups.py).

The Postgres and Redis passwords each have two credentials that alternate, as AWS Secrets Manager's "alternating
users" strategy (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html): a rotation
makes a new one in the slot not in use and points the stack's outputs at it, while the credential before it keeps
working until the next rotation. Apps that still hold it never fail to connect; they move to the new output before
the next rotation (the README's 90-day routine). The parity of the counter says which slot is in use. The backup
token has one user, the server's job, which the rotation moves to the new token before deleting the old one.

The deploy key alternates the same way, by a handover: a rotation makes a new key and keeps the one before it
authorized for root until the next rotation. pulumi-command runs every step whose connection changed again, with
the new key (pulumi/pulumi-command@v1.2.1:provider/pkg/provider/remote/commandController.go:63-82), so each server's
first step adds the new key through the previous one before any other step logs in (components/host.py,
components/scripts/wait-for-ssh.sh)."""

from pydantic import Field

from stack_config.base import ConfigModel

MAX_ROTATIONS = 10_000


def _counter(secret: str, touches: str) -> int:
    return Field(
        default=0,
        ge=0,
        le=MAX_ROTATIONS,
        description=f"Raise by one to rotate {secret} at the next `pulumi up`; 0, the default, is the secret "
        f"made at the first deploy. {touches}",
    )


class RotationSettings(ConfigModel):
    postgres: int = _counter(
        "the app's Postgres password",
        "The app role of the new password is set in the database before databaseUrl names it; the previous one "
        "keeps working until the next rotation.",
    )
    redis: int = _counter(
        "Redis's password",
        "Redis accepts the new and the previous password; its container restarts with both at each rotation.",
    )
    backup_token: int = _counter(
        "the backup bucket's R2 token (r2 storage)",
        "A new token is made, installed on the server and proven with a backup before the old one is deleted.",
    )
    deploy_key: int = _counter(
        "the deploy key `pulumi up` logs in to the servers with",
        "One step per `pulumi up`: each server accepts the new key through the previous one, which keeps working "
        "until the next rotation; every step on the servers runs again once with the new key.",
    )


# The second Postgres login's name: the owner's, marked, cut so that it stays a plain SQL name (63 characters).
_ALTERNATE_SUFFIX = "_alternate"


def alternate_role(user: str) -> str:
    """The second login acting as `user` (components/scripts/postgres-roles.sh), in use at odd counters."""
    return user[: 63 - len(_ALTERNATE_SUFFIX)] + _ALTERNATE_SUFFIX


def slot_in_use(counter: int) -> int:
    """0 or 1: the credential the stack's outputs name after `counter` rotations."""
    return counter % 2


def last_rotation(counter: int, slot: int) -> int | None:
    """The last counter value that gave `slot` a new value: 0 for the first slot's first-deploy value, None for a
    second slot that does not exist yet (no rotation so far)."""
    if counter < slot:
        return None
    return counter if slot_in_use(counter) == slot else counter - 1
