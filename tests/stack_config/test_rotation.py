"""The `rotation` section: counters within bounds, the backup token only where the stack makes it, and which
credential slot each counter uses."""

from typing import Any

import pytest

from stack_config.rotation import MAX_ROTATIONS, alternate_role, last_rotation, slot_in_use
from tests.stack_config.conftest import bad_values, load, problems

POSTGRES_HELP = (
    "raise by one to rotate the app's Postgres password at the next `pulumi up`; 0, the default, is the secret made "
    "at the first deploy. The app role of the new password is set in the database before databaseUrl names it; the "
    "previous one keeps working until the next rotation"
)
DEPLOY_KEY_HELP = (
    "raise by one to rotate the deploy key `pulumi up` logs in to the servers with at the next `pulumi up`; 0, the "
    "default, is the secret made at the first deploy. One step per `pulumi up`: each server accepts the new key "
    "through the previous one, which keeps working until the next rotation; every step on the servers runs again "
    "once with the new key"
)
S3_STORAGE = {
    "backups": {"storage": {"kind": "s3", "accountId": None, "endpoint": "https://fsn1.your-objectstorage.com",
                            "bucket": "team-backups", "region": "fsn1"}},
    "backupS3AccessKeyId": "HETZNERKEYID0001",
    "backupS3SecretAccessKey": "v3ry-l0ng-s3cret-access-key-from-the-hetzner-console",
}  # fmt: skip
S3_SECRETS = frozenset({"hetzner-coolify:backupS3AccessKeyId", "hetzner-coolify:backupS3SecretAccessKey"})

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("staging", {"rotation": {"postgres": -1}},
     f"hetzner-coolify:rotation.postgres: -1 is out of range; allowed: 0-10000 ({POSTGRES_HELP})"),
    ("staging", {"rotation": {"postgres": MAX_ROTATIONS + 1}},
     f"hetzner-coolify:rotation.postgres: 10001 is out of range; allowed: 0-10000 ({POSTGRES_HELP})"),
    ("staging", {"rotation": {"postgres": "2026-12-03"}},
     f"hetzner-coolify:rotation.postgres: '2026-12-03' is not a whole number; allowed: 0-10000 ({POSTGRES_HELP})"),
    ("production", {"rotation": {"deployKey": -1}},
     f"hetzner-coolify:rotation.deployKey: -1 is out of range; allowed: 0-10000 ({DEPLOY_KEY_HELP})"),
    ("staging", {"rotation": {"redis": 1}, "redis": {"image": "redis:5.0.14"}},
     "hetzner-coolify:rotation.redis: needs Redis 6 or later, whose ACL users accept two passwords; redis.image is "
     "'redis:5.0.14': upgrade it first; allowed with this image: 0"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_values_are_refused_in_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


def test_every_counter_starts_at_zero() -> None:
    rotation = load("production").rotation
    assert (rotation.postgres, rotation.redis, rotation.backup_token, rotation.deploy_key) == (0, 0, 0, 0)


def test_counters_in_bounds_are_taken() -> None:
    rotation = load(
        "production", {"rotation": {"postgres": 3, "redis": MAX_ROTATIONS, "backupToken": 1, "deployKey": 2}}
    ).rotation
    assert (rotation.postgres, rotation.redis, rotation.backup_token, rotation.deploy_key) == (3, MAX_ROTATIONS, 1, 2)


def test_the_backup_token_rotates_only_where_the_stack_makes_it() -> None:
    assert problems("staging", S3_STORAGE | {"rotation": {"backupToken": 1}}, S3_SECRETS) == [
        "hetzner-coolify:rotation.backupToken: rotates the token of r2 storage, which this stack does not use; for s3 "
        "storage, make new keys in the storage's console and set them with `pulumi config set --secret "
        "backupS3AccessKeyId` and backupS3SecretAccessKey; allowed here: 0"
    ]


@pytest.mark.parametrize(
    ("counter", "in_use", "first", "second"),
    [(0, 0, 0, None), (1, 1, 0, 1), (2, 0, 2, 1), (3, 1, 2, 3), (10, 0, 10, 9)],
)
def test_each_rotation_renews_the_slot_not_in_use(counter: int, in_use: int, first: int, second: int | None) -> None:
    """The slot in use after a rotation is the one it renewed; the other keeps the value it had."""
    assert slot_in_use(counter) == in_use
    assert (last_rotation(counter, 0), last_rotation(counter, 1)) == (first, second)
    assert last_rotation(counter, in_use) == counter


def test_the_second_login_is_a_plain_sql_name_of_its_own() -> None:
    assert alternate_role("app") == "app_alternate"
    longest = alternate_role("a" * 63)
    assert len(longest) == 63 and longest.endswith("_alternate") and longest != "a" * 63


def test_a_redis_rotation_takes_any_image_with_acl_users() -> None:
    for image in ("redis:6.2.16", "redis:7.4.6-bookworm", "valkey/valkey:8.0.2"):
        assert load("staging", {"rotation": {"redis": 1}, "redis": {"image": image}}).rotation.redis == 1
    # The counter at 0 asks nothing of the image.
    assert load("staging", {"redis": {"image": "redis:5.0.14"}}).rotation.redis == 0
