"""The monitor as the stack installed it, speaking to a webhook and a heartbeat receiver in the guest's network:
silent when all is well, one alert and one resolved for a filled disk and for a stopped container, a heartbeat
after every pass that stops while the machine is stopped.

What is arranged first, and why:
- Coolify's own containers other than coolify-db do not exist on this tier (its installer is a stand-in):
  `sleep` containers stand in under their names. They reproduce a running container, nothing of Coolify.
- The guest sees this host's memory and CPUs (no lxcfs in systemd-nspawn), shared with other work here: the CPU
  and memory thresholds are raised to 100 through a drop-in settings file, so they cannot alert.
- The dashboard's address 127.0.0.1:443 is the S3 stand-in, whose test certificate (from a CA the guest trusts, for
  the stand-in's name) is valid for 2 days: the dashboard's name is the stand-in's, the certificate threshold is
  1 day, and one test shows the default 14 days alerting on it.
- "The machine stops": the guest's cgroup is frozen (every process of it stopped, as a powered-off server), then
  thawed, so that the session's machine stays usable for the other tier tests.
"""

import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from preview.values import reveal
from tests.server.conftest import Deployment
from tests.server.standins import WebhookReceiver, endpoint_host

SERVICE = "hetzner-coolify-monitor.service"
TIMER = "hetzner-coolify-monitor.timer"
INSTALL = "monitoring-install"
SECRET_PART = "s3cr3t-7b1e0f"
STAND_IN_CONTAINERS = ("coolify", "coolify-redis", "coolify-realtime", "coolify-proxy")
TEST_SETTINGS = "/run/hetzner-coolify-monitor-test.env"
DROP_IN = f"/run/systemd/system/{SERVICE}.d/test.conf"
TIMER_DROP_IN = f"/run/systemd/system/{TIMER}.d/test.conf"
FILLER = "monitor-test-filler"


def run_monitor(deployment: Deployment) -> None:
    deployment.root(f"systemctl start {SERVICE}", timeout=120)


def hooks(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [request for request in requests if request["path"].startswith(f"/hook/{SECRET_PART}")]


def pings(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [request for request in requests if request["path"].startswith(f"/ping/{SECRET_PART}")]


@pytest.fixture(scope="module")
def receiver(deployment: Deployment) -> Iterator[WebhookReceiver]:
    root = deployment.root
    receiver = WebhookReceiver(deployment.machine, sys.executable, deployment.s3.directory)
    receiver.start()
    for name in STAND_IN_CONTAINERS:
        root(f"docker rm -f {name} >/dev/null 2>&1; docker run --detach --name {name} --network coolify "
             f"--entrypoint sleep postgres:coolify-db infinity >/dev/null")  # fmt: skip
    dashboard = endpoint_host(deployment.output("backupEndpoint"))
    root(f"printf '%s\\n' MONITOR_CPU_PERCENT=100 MONITOR_MEMORY_PERCENT=100 MONITOR_CERTIFICATE_MIN_DAYS=1 "
         f"MONITOR_DASHBOARD_HOSTNAME={dashboard} > {TEST_SETTINGS} && mkdir -p {Path(DROP_IN).parent} && "
         f"printf '%s\\n' '[Service]' "
         f"'EnvironmentFile={TEST_SETTINGS}' > {DROP_IN} && systemctl daemon-reload && "
         f"systemctl stop {TIMER}")  # fmt: skip
    install = deployment.recording.named(INSTALL)
    urls = {"MONITOR_WEBHOOK_URL": receiver.url(f"/hook/{SECRET_PART}"),
            "MONITOR_HEARTBEAT_URL": receiver.url(f"/ping/{SECRET_PART}")}  # fmt: skip
    try:
        # The step as `pulumi up` runs it once both URLs are set (the stack deployed here has none).
        with_urls = dataclasses.replace(install, inputs={**reveal(install.inputs), "environment": urls})
        run = deployment.rehearsal.step(with_urls)
        assert "the first pass of the monitor succeeded" in run.stderr, run.stderr
        # Whatever the rehearsal's own pass recorded (Coolify's containers missing) is resolved now.
        run_monitor(deployment)
        receiver.take()
        yield receiver
    finally:
        root(f"rm -f {DROP_IN} {TIMER_DROP_IN} {TEST_SETTINGS} && systemctl daemon-reload && "
             f"systemctl restart {TIMER}; docker rm -f {' '.join(STAND_IN_CONTAINERS)} >/dev/null")  # fmt: skip
        deployment.rehearsal.step(install)
        receiver.stop()


def test_all_well_sends_nothing_and_pings_the_heartbeat(deployment: Deployment, receiver: WebhookReceiver) -> None:
    run_monitor(deployment)
    requests = receiver.take()
    assert hooks(requests) == []
    assert [request["method"] for request in pings(requests)] == ["GET"]


def test_a_filled_disk_alerts_once_and_resolves_once(deployment: Deployment, receiver: WebhookReceiver) -> None:
    # The Postgres Hetzner Volume (a loop device in the guest): filled to 95 %, never this host's root.
    device = deployment.machine.devices[0]
    target = deployment.root(f"findmnt -n -o TARGET --source {device}").strip()
    size, used = map(int, deployment.root(f"df -B1 --output=size,used {target} | tail -1").split())
    filler = f"{target}/{FILLER}"
    try:
        deployment.root(f"fallocate -l {int(size * 0.95) - used} {filler}")
        run_monitor(deployment)
        run_monitor(deployment)
        (alert,) = hooks(receiver.take())
        assert alert["method"] == "POST" and alert["headers"]["Content-Type"] == "application/json"
        body = json.loads(alert["body"])
        assert body["check"] == f"disk:{target}" and body["status"] == "alert" and body["threshold"] == "85%"
        assert body["stack"] == "hetzner-coolify-production" and int(body["value"].rstrip("%")) >= 90
        assert SECRET_PART not in alert["body"]
    finally:
        deployment.root(f"rm -f {filler}")
    run_monitor(deployment)
    run_monitor(deployment)
    (resolved,) = hooks(receiver.take())
    assert json.loads(resolved["body"])["status"] == "resolved"


def test_a_stopped_container_alerts_once_and_resolves_once(deployment: Deployment, receiver: WebhookReceiver) -> None:
    try:
        deployment.root("docker stop app-redis >/dev/null")
        run_monitor(deployment)
        run_monitor(deployment)
        (alert,) = hooks(receiver.take())
        body = json.loads(alert["body"])
        # Docker leaves a stopped container's last health status as "unhealthy": the value says both.
        assert (body["check"], body["status"], body["value"]) == ("container:app-redis", "alert", "exited/unhealthy")
    finally:
        deployment.root("docker start app-redis >/dev/null")
    run_monitor(deployment)
    run_monitor(deployment)
    (resolved,) = hooks(receiver.take())
    assert json.loads(resolved["body"])["status"] == "resolved"


def test_a_refused_alert_is_sent_again_next_pass(deployment: Deployment, receiver: WebhookReceiver) -> None:
    try:
        receiver.failing_flag.touch()
        deployment.root("docker stop app-redis >/dev/null")
        failed = deployment.client.run("root", deployment.deploy_key.private_file, f"systemctl start {SERVICE}")
        assert failed.returncode != 0
        requests = receiver.take()
        # curl retries a 500 twice: the same alert, then the heartbeat's failure signal.
        assert {json.loads(hook["body"])["check"] for hook in hooks(requests)} == {"container:app-redis"}
        assert {ping["path"] for ping in pings(requests)} == {f"/ping/{SECRET_PART}/fail"}
        receiver.failing_flag.unlink()
        run_monitor(deployment)
        (again,) = hooks(receiver.take())
        assert json.loads(again["body"])["status"] == "alert"
    finally:
        receiver.failing_flag.unlink(missing_ok=True)
        deployment.root("docker start app-redis >/dev/null")
        run_monitor(deployment)
        receiver.take()


def test_the_default_certificate_threshold_alerts_on_a_certificate_expiring_in_two_days(
    deployment: Deployment, receiver: WebhookReceiver
) -> None:
    # Trusted by the guest's CAs for its name: well under the 1-day threshold (a check's state is kept once it
    # changed; none is ok).
    state = f"/var/lib/hetzner-coolify/monitor/checks/certificate:{endpoint_host(deployment.output('backupEndpoint'))}"
    assert deployment.root(f"cat {state} 2>/dev/null || echo ok").strip() == "ok"
    deployment.root(f"sed -i 's/^MONITOR_CERTIFICATE_MIN_DAYS=.*/MONITOR_CERTIFICATE_MIN_DAYS=14/' {TEST_SETTINGS}")
    try:
        run_monitor(deployment)
        (alert,) = hooks(receiver.take())
        body = json.loads(alert["body"])
        assert body["check"].startswith("certificate:") and body["status"] == "alert" and body["value"] == "1d"
    finally:
        deployment.root(f"sed -i 's/^MONITOR_CERTIFICATE_MIN_DAYS=.*/MONITOR_CERTIFICATE_MIN_DAYS=1/' {TEST_SETTINGS}")
        run_monitor(deployment)
        receiver.take()


def test_the_timer_pings_and_the_pings_stop_while_the_machine_is_stopped(
    deployment: Deployment, receiver: WebhookReceiver
) -> None:
    machine = deployment.machine
    deployment.root(f"mkdir -p {Path(TIMER_DROP_IN).parent} && printf '%s\\n' '[Timer]' 'OnUnitActiveSec=' "
                    f"'OnUnitActiveSec=5s' 'AccuracySec=1s' > {TIMER_DROP_IN} && systemctl daemon-reload && "
                    f"systemctl start {TIMER} && systemctl start {SERVICE}")  # fmt: skip
    time.sleep(30)
    running = pings(receiver.take())
    assert len(running) >= 3, running
    freezer = Path(f"/sys/fs/cgroup/unified/{machine.name}/cgroup.freeze")
    if not freezer.exists():
        freezer = Path(f"/sys/fs/cgroup/{machine.name}/cgroup.freeze")
    freezer.write_text("1")
    try:
        time.sleep(5)
        receiver.take()
        time.sleep(30)
        assert pings(receiver.take()) == []
    finally:
        freezer.write_text("0")
    deadline = time.monotonic() + 60
    while not pings(receiver.take()):
        assert time.monotonic() < deadline, "no heartbeat after the machine came back"
        time.sleep(2)
