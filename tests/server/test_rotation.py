"""Rotations on the deployed stack: the stack recorded again with a raised `rotation.<secret>` counter, what changed
applied in the engine's order, while an app on Coolify's network keeps connecting with the URL it was given before.
The session's state is restored at the end: later tests meet the stack as deployed."""

import hashlib
import json
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from preview.changes import changes
from preview.engine import RecordedStack
from preview.values import reveal
from stack_config.rotation import alternate_role
from tests.conftest import record
from tests.server.conftest import STACK, Deployment, KeyPair, RehearsalMocks, session_changes
from tests.server.machine import CLIENT_ADDRESS
from tests.server.rehearsal import LOCAL, REMOTE, Rehearsal
from tests.server.standins import COOLIFY_NETWORK, pulled_image, start_container

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
CONTAINER = "docker:index/container:Container"
# Made or deleted by their providers alone: the mocks' answer stands for them.
PROVIDER_ONLY = (RANDOM_PASSWORD, "cloudflare:index/accountToken:AccountToken")
APP_USER = "app"
INSTALL = "backups-install-job"
CREDENTIALS = "/etc/hetzner-coolify/credentials"
ALTERNATE_USER = alternate_role(APP_USER)
# What an app does that reconnects: a new connection every ~100 ms, each attempt on a line of its own (when it
# began and ended, its outcome, what it printed).
POSTGRES_PROBE = """while :; do
  began=$(date +%s.%N)
  if answer=$(psql "$URL" -XAtc 'select session_user, current_user' 2>&1); then outcome=ok; else outcome=failed; fi
  echo "$began $(date +%s.%N) $outcome $(echo "$answer" | tr '\\n' ' ')"
  sleep 0.1
done"""
REDIS_PROBE = """while :; do
  began=$(date +%s.%N)
  answer=$(redis-cli --no-auth-warning -u "$URL" ping 2>&1 | tr '\\n' ' ')
  case "$answer" in "PONG ") outcome=ok ;; *) outcome=failed ;; esac
  echo "$began $(date +%s.%N) $outcome $answer"
  sleep 0.1
done"""


class RotationMocks(RehearsalMocks):
    """A changed keeper makes a new password, as pulumi-random does; the stand-in ApplyMocks derive a password from
    the resource's name alone."""

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        keepers = args.inputs.get("keepers")
        if args.typ == RANDOM_PASSWORD and keepers:
            seed = f"{args.name} {json.dumps(keepers, sort_keys=True)}"
            state["result"] = hashlib.sha256(seed.encode()).hexdigest()[: int(args.inputs["length"])]
            self.generated[args.name] = state["result"]
        return resource_id, state


def recorded_with(deployment: Deployment, rotation: dict[str, int]) -> RecordedStack:
    changes = session_changes(deployment.admin_key, deployment.age) | {"rotation": rotation}
    return record(STACK, changes, mocks=RotationMocks(deployment.deploy_key))


@dataclass(frozen=True)
class Applied:
    name: str
    began: float
    ended: float


def apply_changes(deployment: Deployment, before: RecordedStack, after: RecordedStack) -> list[Applied]:
    """What `pulumi up` does to a stack deployed as `before` to make it `after`, in its order (preview/changes.py:
    deletes last): a step whose inputs changed runs `create` again, as pulumi-command's update does without an
    `update` (pulumi/pulumi-command@v1.2.1:provider/pkg/provider/remote/commandController.go:76-79); a container
    whose inputs changed is replaced, the old one deleted first (its name is unique on the host:
    pulumi/pulumi-docker@v5.1.0:provider/resources.go:112-114); passwords and tokens are the mocks' answers.
    Returns "<action> <name>" in the order applied, with when each began and ended."""
    rehearsal = Rehearsal(after, deployment.client, printed=dict(deployment.rehearsal.printed))
    applied = []
    for change in changes(before, after):
        resource, began = change.resource, time.time()
        if change.action != "delete" and resource.type in (LOCAL, REMOTE):
            rehearsal.step(resource)
        elif change.action != "delete" and resource.type == CONTAINER:
            deployment.root(f"docker rm -f {reveal(resource.inputs)['name']} >/dev/null")
            start_container(deployment.root, resource, after)
        elif resource.type not in PROVIDER_ONLY:
            raise AssertionError(f"a rotation would {change.action} {resource.name}, which this test cannot play")
        applied.append(Applied(f"{change.action} {resource.name}", began, time.time()))
    return applied


@dataclass(frozen=True)
class Attempt:
    began: float
    ended: float
    ok: bool
    answer: str


@dataclass(frozen=True)
class App:
    """A container on Coolify's network running `probe` with URL in its environment, as an app Coolify deployed."""

    deployment: Deployment
    name: str

    def attempts(self) -> list[Attempt]:
        lines = self.deployment.root(f"docker logs {self.name} 2>&1").splitlines()
        return [Attempt(float(began), float(ended), outcome == "ok", answer) for began, ended, outcome, answer in
                (f"{line} ".split(" ", 3) for line in lines)]  # fmt: skip

    def wait_for(self, count: int, seconds: float = 60) -> list[Attempt]:
        deadline = time.monotonic() + seconds
        while len(attempts := self.attempts()) < count:
            assert time.monotonic() < deadline, f"{self.name} made {len(attempts)} attempts in {seconds:.0f}s"
            time.sleep(0.5)
        return attempts


@contextmanager
def app(deployment: Deployment, name: str, image: str, probe: str, url: str) -> Iterator[App]:
    # The URL arrives on stdin: it is on no command line.
    deployment.root(
        f"read -r URL && export URL && docker run --detach --name {name} --network {COOLIFY_NETWORK} -e URL "
        f"--entrypoint sh {image} -c {shlex.quote(probe)} >/dev/null",
        stdin=f"{url}\n",
    )
    try:
        yield App(deployment, name)
    finally:
        deployment.root(f"docker rm -f {name} >/dev/null")


def with_url(deployment: Deployment, image: str, url: str, command: str) -> str:
    """`command` in a throwaway container on Coolify's network, the URL in its environment as URL (on stdin to get
    there, never on a command line); what it printed, errors included."""
    return deployment.root(
        f"read -r URL && export URL && docker run --rm --network {COOLIFY_NETWORK} -e URL --entrypoint sh {image} "
        f"-c {shlex.quote(command + ' 2>&1')} || true",
        stdin=f"{url}\n",
    ).strip()


def psql(deployment: Deployment, image: str, url: str, sql: str) -> str:
    return with_url(deployment, image, url, f'psql "$URL" -XAtc {shlex.quote(sql)}')


def test_a_postgres_rotation_never_fails_an_app_that_keeps_its_url(deployment: Deployment) -> None:
    """Rotation 1 adds the second login and points databaseUrl at it while an app reconnects every ~100 ms with the
    first URL: not one attempt fails. Rotation 2 renews the first login: its old password stops working, the second
    login's keeps working."""
    image = pulled_image(deployment.recording.named("data-postgres"), deployment.recording)
    first_url = str(deployment.output("databaseUrl"))
    roles = deployment.recording.named("data-postgres-roles")
    try:
        with app(deployment, "rotation-app-postgres", image, POSTGRES_PROBE, first_url) as running:
            running.wait_for(10)
            once = recorded_with(deployment, {"postgres": 1})
            started = time.time()
            applied = apply_changes(deployment, deployment.recording, once)
            assert [change.name for change in applied] == [
                "create data-postgres-alternate-password",
                "replace data-postgres-roles",
            ]
            rotated_at = time.time()
            second_url = str(reveal(once.outputs["databaseUrl"]))
            assert second_url.startswith(f"postgresql://{ALTERNATE_USER}:") and second_url != first_url
            # The second login logs in with its own password and acts as the owner.
            assert psql(deployment, image, second_url, "select session_user, current_user") == (
                f"{ALTERNATE_USER}|{APP_USER}"
            )
            during = len(running.attempts())
            attempts = running.wait_for(during + 20)
            failed = [attempt for attempt in attempts if not attempt.ok]
            assert failed == [], failed
            assert {attempt.answer.strip() for attempt in attempts} == {f"{APP_USER}|{APP_USER}"}
            across = [attempt for attempt in attempts if attempt.ended >= started and attempt.began <= rotated_at]
            assert across, "no attempt while the rotation ran"
            print(f"postgres rotation 1: {len(attempts)} attempts, {len(across)} while it ran "
                  f"({rotated_at - started:.1f}s), none failed; longest attempt "
                  f"{max(attempt.ended - attempt.began for attempt in attempts):.2f}s")  # fmt: skip

        twice = recorded_with(deployment, {"postgres": 2})
        applied = apply_changes(deployment, once, twice)
        assert [change.name for change in applied] == ["replace data-postgres-password", "update data-postgres-roles"]
        third_url = str(reveal(twice.outputs["databaseUrl"]))
        assert third_url.startswith(f"postgresql://{APP_USER}:") and third_url != first_url
        assert "password authentication failed" in psql(deployment, image, first_url, "select 1")
        assert psql(deployment, image, second_url, "select current_user") == APP_USER
        assert psql(deployment, image, third_url, "select current_user") == APP_USER
        again = Rehearsal(twice, deployment.client, printed=dict(deployment.rehearsal.printed))
        rerun = again.step(twice.named("data-postgres-roles"))
        assert rerun.stderr.strip().endswith("[postgres-roles] roles as they should be (nothing changed)")
    finally:
        deployment.rehearsal.step(roles)
        deployment.root(f"docker exec app-postgres psql -U postgres -XAtqc 'drop role if exists {ALTERNATE_USER}'")
    assert psql(deployment, image, first_url, "select current_user") == APP_USER


def redis_cli(deployment: Deployment, image: str, url: str, arguments: str = "ping") -> str:
    return with_url(deployment, image, url, f'redis-cli --no-auth-warning -u "$URL" {arguments}')


def test_a_redis_rotation_fails_an_app_that_keeps_its_url_only_while_the_container_restarts(
    deployment: Deployment,
) -> None:
    """Rotation 1 replaces the container with one that accepts both passwords: an app pinging every ~100 ms with the
    first URL fails only while no container answers, then goes on with the same URL. Rotation 2 renews the first
    password: the first URL stops working, the second keeps working."""
    container = deployment.recording.named("data-redis")
    image = pulled_image(container, deployment.recording)
    first_url = str(deployment.output("redisUrl"))
    assert redis_cli(deployment, image, first_url, "set rotation kept") == "OK"
    try:
        with app(deployment, "rotation-app-redis", image, REDIS_PROBE, first_url) as running:
            running.wait_for(10)
            once = recorded_with(deployment, {"redis": 1})
            applied = apply_changes(deployment, deployment.recording, once)
            assert [change.name for change in applied] == ["create data-redis-alternate-password", "replace data-redis"]
            replaced = applied[-1]
            after = len(running.attempts())
            attempts = running.wait_for(after + 20)
            failed = [attempt for attempt in attempts if not attempt.ok]
            # Only while the old container is gone and the new one not yet listening; the URL itself never fails.
            outside = [attempt for attempt in failed
                       if attempt.ended < replaced.began or attempt.began > replaced.ended]  # fmt: skip
            assert outside == [], outside
            assert all(attempt.ok for attempt in attempts[after:])
            across = [attempt for attempt in attempts
                      if attempt.ended >= replaced.began and attempt.began <= replaced.ended]  # fmt: skip
            slowest = max(across, key=lambda attempt: attempt.ended - attempt.began)
            print(f"redis rotation 1: {len(attempts)} attempts, {len(across)} during the replacement "
                  f"({replaced.ended - replaced.began:.1f}s from docker rm to healthy), {len(failed)} failed "
                  f"{sorted({attempt.answer.strip() for attempt in failed})}; the slowest took "
                  f"{slowest.ended - slowest.began:.2f}s ({'ok' if slowest.ok else 'failed'}: "
                  f"{slowest.answer.strip()})")  # fmt: skip
        second_url = str(reveal(once.outputs["redisUrl"]))
        assert second_url != first_url
        assert redis_cli(deployment, image, second_url) == "PONG"

        twice = recorded_with(deployment, {"redis": 2})
        applied = apply_changes(deployment, once, twice)
        assert [change.name for change in applied] == ["replace data-redis-password", "replace data-redis"]
        third_url = str(reveal(twice.outputs["redisUrl"]))
        assert third_url not in (first_url, second_url)
        assert "WRONGPASS" in redis_cli(deployment, image, first_url)
        assert redis_cli(deployment, image, second_url) == "PONG"
        assert redis_cli(deployment, image, third_url) == "PONG"
        health = deployment.root("docker inspect -f '{{.State.Health.Status}}' app-redis").strip()
        assert health == "healthy"
        # Append-only on its volume: the data outlives both replacements.
        assert redis_cli(deployment, image, third_url, "get rotation") == "kept"
    finally:
        deployment.root("docker rm -f app-redis >/dev/null")
        start_container(deployment.root, container, deployment.recording)
    assert redis_cli(deployment, image, first_url, "del rotation") == "1"


def test_a_backup_token_rotation_proves_the_new_token_with_a_backup_before_the_old_one_is_deleted(
    deployment: Deployment,
) -> None:
    """The install step runs again with the new token's credentials and makes a backup with them; the old token's
    deletion comes last. Not reproduced: R2 checking the token (the stand-in S3 accepts any key)."""
    install = deployment.recording.named(INSTALL)
    bucket, prefix = deployment.output("backupBucket"), deployment.output("backupPrefix")
    before = [name for name in deployment.s3.keys(bucket, prefix) if name.endswith("/MANIFEST.sig")]
    once = recorded_with(deployment, {"backupToken": 1})
    try:
        applied = apply_changes(deployment, deployment.recording, once)
        assert [change.name for change in applied] == [
            "create backups-token-1",
            "update backups-install-job",
            "delete backups-token",
        ]
        new_key_id = str(reveal(once.outputs["backupAccessKeyId"]))
        assert new_key_id != deployment.output("backupAccessKeyId")
        assert deployment.root(f"cat {CREDENTIALS}/s3-access-key-id") == new_key_id
        after = [name for name in deployment.s3.keys(bucket, prefix) if name.endswith("/MANIFEST.sig")]
        assert len(after) == len(before) + 1, "no backup proved the new token"
    finally:
        deployment.rehearsal.step(install)
    assert deployment.root(f"cat {CREDENTIALS}/s3-access-key-id") == deployment.output("backupAccessKeyId")


# sshd's penalty for a refused login (PerSourcePenalties authfail:5), which closes this address's connections
# once its penalties add up to 15 s (min:15): openssh/openssh-portable@V_10_0_P1:servconf.c:442-451. Waited out
# after each refusal, so that the next step is not met by a closed connection.
AUTHFAIL_PENALTY = 5


def root_logs_in(deployment: Deployment, key: KeyPair) -> bool:
    return deployment.client.run("root", key.private_file, "true", timeout=30).returncode == 0


def root_refuses(deployment: Deployment, key: KeyPair) -> bool:
    """Whether root refuses `key` for what it is (not a connection closed for earlier refusals)."""
    result = deployment.client.run("root", key.private_file, "true", timeout=30)
    time.sleep(AUTHFAIL_PENALTY)
    return result.returncode != 0 and "Permission denied" in result.stderr


@contextmanager
def refusals_not_banned(deployment: Deployment) -> Iterator[None]:
    """Refused keys are what this test is about, and fail2ban counts each as a failed login from this host (every
    connection arrives from slirp's address): its jail ignores this host meanwhile (the ban itself is tested by
    the session's fixture)."""
    deployment.machine.inside(f"fail2ban-client set sshd addignoreip {CLIENT_ADDRESS}")
    try:
        yield
    finally:
        deployment.machine.inside(f"fail2ban-client set sshd delignoreip {CLIENT_ADDRESS}")
        deployment.machine.inside("fail2ban-client unban --all")


def root_deploy_keys(deployment: Deployment, *keys: KeyPair) -> list[str]:
    """Which of `keys` root's authorized_keys holds, in its order (by type and material)."""
    lines = [
        " ".join(line.split()[:2])
        for line in deployment.machine.inside("cat /root/.ssh/authorized_keys").stdout.splitlines()
    ]
    return [key.private_file.name for line in lines for key in keys if " ".join(key.public_key.split()[:2]) == line]


def test_a_deploy_key_rotation_hands_the_new_key_over_through_the_previous_one(deployment: Deployment) -> None:
    """Rotation 1: the first step on the server meets a key it refuses, hands it over with the previous key and goes
    on with it; the hardening then keeps both. Rotation 2 hands the third key over with the second, and the
    hardening drops the first. Every other step on the server runs again with the new key (an update: idempotent),
    which the other tier tests show of each step; here only these two, which the handover is about."""
    mocks = RehearsalMocks(deployment.deploy_key)
    first, second, third = (
        mocks.key_named(name) for name in ("host-deploy-key", "host-deploy-key-1", "host-deploy-key-2")
    )
    once = recorded_with(deployment, {"deployKey": 1})
    with refusals_not_banned(deployment):
        rotate_the_deploy_key_twice(deployment, once, first, second, third)
        assert root_deploy_keys(deployment, first, second, third) == [first.private_file.name]
        assert root_refuses(deployment, second)


def rotate_the_deploy_key_twice(
    deployment: Deployment, once: RecordedStack, first: KeyPair, second: KeyPair, third: KeyPair
) -> None:
    reachable, hardened = "host-wait-for-ssh", "host-harden-host"
    try:
        found = {change.resource.name: change for change in changes(deployment.recording, once)}
        registered = found.pop("host-ssh-key-deploy")
        assert (registered.action, registered.deleted_first) == ("replace", True)
        assert found.pop("host-deploy-key-1").action == "create"
        assert {change.resource.type for change in found.values()} == {LOCAL, REMOTE}
        steps = [resource.name for resource in once.resources if resource.type == REMOTE]
        assert sorted(name for name in found if name != reachable) == sorted(steps), "a step would not run again"
        assert found[reachable].action == "update"
        assert root_refuses(deployment, second)

        rotating = Rehearsal(once, deployment.client, printed=dict(deployment.rehearsal.printed),
                             runs=dict(deployment.rehearsal.runs))  # fmt: skip
        handover = rotating.update(once.named(reachable))
        time.sleep(AUTHFAIL_PENALTY)
        assert handover.returncode == 0, handover.stderr
        assert "refused the deploy key and accepted the previous one" in handover.stderr
        assert handover.stdout == deployment.rehearsal.runs[reachable].stdout, "the host key changed"
        rotating.step(once.named(hardened))
        assert root_deploy_keys(deployment, first, second, third) == [second.private_file.name, first.private_file.name]
        assert root_logs_in(deployment, second) and root_logs_in(deployment, first)
        again = rotating.update(once.named(reachable))
        assert again.returncode == 0 and "previous" not in again.stderr, again.stderr

        twice = recorded_with(deployment, {"deployKey": 2})
        found = {change.resource.name: change for change in changes(once, twice)}
        assert (found["host-deploy-key"].action, found["host-deploy-key-2"].action) == ("delete", "create")
        assert found["host-ssh-key-deploy"].deleted_first
        rotating_again = Rehearsal(twice, deployment.client, printed=dict(deployment.rehearsal.printed),
                                   runs=dict(deployment.rehearsal.runs))  # fmt: skip
        handover = rotating_again.update(twice.named(reachable))
        time.sleep(AUTHFAIL_PENALTY)
        assert handover.returncode == 0, handover.stderr
        assert "accepted the previous one" in handover.stderr
        rotating_again.step(twice.named(hardened))
        assert root_deploy_keys(deployment, first, second, third) == [third.private_file.name, second.private_file.name]
        assert root_logs_in(deployment, third) and root_logs_in(deployment, second)
        assert root_refuses(deployment, first)
        print(f"deploy key rotation: handover {handover.stderr.count('accepted the previous one')}x per rotation; "
              f"{len(steps)} steps on the server would run again per rotation")  # fmt: skip
    finally:
        # Back to the session's key alone. Once the first key is refused, rotation 1's hardening (through the second
        # key) authorizes it again; the session's own hardening then keeps it alone.
        if root_refuses(deployment, first):
            Rehearsal(once, deployment.client, printed=dict(deployment.rehearsal.printed)).step(once.named(hardened))
        deployment.rehearsal.step(deployment.recording.named(hardened))
