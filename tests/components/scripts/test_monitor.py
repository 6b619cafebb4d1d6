"""monitor.sh run for real on this machine against a fake /proc, a stubbed df and docker, a real TLS server and a
real HTTP receiver on 127.0.0.1; and install-monitor.sh in a sandbox."""

import datetime
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.monitoring import BACKUP_STAMP, monitor_inputs, monitor_settings
from components.server_scripts import template_text
from stack_config.monitoring import MonitoringSettings
from tests.components.scripts.conftest import Sandbox, run_script

SECRET = "t0ps3cret-token-9f8e7d"
STATE_CHANGING = ("apt-get", "systemctl daemon-reload", "systemctl enable", "systemctl restart", "systemctl start")
PROOF = "systemctl start hetzner-coolify-monitor.service"
WELL_PROC = {"meminfo": "MemTotal:       1000000 kB\nMemFree:          10000 kB\nMemAvailable:    500000 kB\n",
             "stat": "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n"}  # fmt: skip


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers `status`."""

    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def take(self) -> list[dict[str, Any]]:
        taken, self.requests[:] = list(self.requests), []
        return taken

    def posts(self) -> list[dict[str, Any]]:
        return [request for request in self.take() if request["path"].startswith(f"/hook/{SECRET}")]

    def hooks(self) -> list[dict[str, Any]]:
        """The alerts and resolutions posted, without the test message that proves a new webhook URL."""
        return [request for request in self.posts() if not is_test_message(request)]


def is_test_message(request: dict[str, Any]) -> bool:
    """In each format: json's status, slack's text, ntfy's title."""
    body = request["body"]
    return (
        '"status":"test"' in body
        or body.startswith('{"text":"[TEST]')
        or request["headers"].get("Title", "").startswith("TEST")
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            record.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                    "body": body})  # fmt: skip
            self.send_response(record.status)
            self.end_headers()

        do_GET = do_POST = answer  # noqa: N815  # http.server's handler names

        def log_message(self, *arguments: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


@dataclass
class Host:
    """What monitor.sh sees of a server: /proc, df, docker, a backup stamp; each pass's curl command lines."""

    directory: Path
    receiver: Receiver
    settings: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.proc.mkdir(parents=True)
        self.bin.mkdir()
        for name, text in WELL_PROC.items():
            (self.proc / name).write_text(text)
        self.disks(("/", 40), ("/data/postgres", 10))
        self.containers(("coolify", "running", "healthy"), ("app-redis", "running", ""))
        self.stamp.touch()
        # df and docker answer from files; curl keeps its command line, then is the real one.
        self._stub("df", f"cat {self.directory}/df.txt")
        self._stub(
            "docker", f'line=$(grep "^${{!#}} " {self.directory}/docker.txt) || exit 1; printf "%s\\n" "${{line#* }}"'
        )
        self._stub("curl", f'printf "%s\\n" "$*" >>{self.directory}/curl-argv.log; exec /usr/bin/curl "$@"')

    @property
    def proc(self) -> Path:
        return self.directory / "proc"

    @property
    def bin(self) -> Path:
        return self.directory / "bin"

    @property
    def state(self) -> Path:
        return self.directory / "state"

    @property
    def stamp(self) -> Path:
        return self.directory / "backup-succeeded"

    def _stub(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)

    def disks(self, *used: tuple[str, int]) -> None:
        lines = "".join(f"{percent:>3}% {target}\n" for target, percent in used)
        (self.directory / "df.txt").write_text(f"Use% Mounted on\n{lines}")

    def containers(self, *states: tuple[str, str, str]) -> None:
        (self.directory / "docker.txt").write_text(
            "".join(f"{name} {state} {health}\n" for name, state, health in states)
        )

    def run(self, **overrides: str) -> subprocess.CompletedProcess[str]:
        environment = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "MONITOR_STACK": "hetzner-coolify-staging",
            "MONITOR_FORMAT": "json",
            "MONITOR_CPU_PERCENT": "80",
            "MONITOR_MEMORY_PERCENT": "90",
            "MONITOR_DISK_PERCENT": "85",
            "MONITOR_BACKUP_MAX_AGE_HOURS": "26",
            "MONITOR_BACKUP_STAMP": str(self.stamp),
            "MONITOR_CERTIFICATE_MIN_DAYS": "14",
            "MONITOR_DASHBOARD_HOSTNAME": "",
            "MONITOR_CONTAINERS": "coolify app-redis",
            "MONITOR_STATE_DIR": str(self.state),
            "MONITOR_PROC": str(self.proc),
            "MONITOR_CPU_SAMPLE_SECONDS": "0",
            "MONITOR_WEBHOOK_URL": self.receiver.url(f"/hook/{SECRET}"),
            "MONITOR_HEARTBEAT_URL": self.receiver.url(f"/ping/{SECRET}"),
            **self.settings,
            **overrides,
        }
        return run_script("monitor.sh", environment)

    def curl_command_lines(self) -> str:
        log = self.directory / "curl-argv.log"
        return log.read_text() if log.exists() else ""


@pytest.fixture
def host(tmp_path: Path, receiver: Receiver) -> Host:
    return Host(tmp_path, receiver)


def passes(host: Host, **overrides: str) -> subprocess.CompletedProcess[str]:
    result = host.run(**overrides)
    assert result.returncode == 0, result.stderr
    return result


def test_all_well_sends_nothing_and_pings_the_heartbeat_each_pass(host: Host, receiver: Receiver) -> None:
    passes(host)
    receiver.take()
    for _ in range(2):
        passes(host)
        requests = receiver.take()
        assert [(request["method"], request["path"]) for request in requests] == [("GET", f"/ping/{SECRET}")]


@pytest.mark.parametrize("webhook_format", ["json", "slack", "ntfy"])
def test_a_new_webhook_url_gets_one_test_message_before_anything_else(
    host: Host, receiver: Receiver, webhook_format: str
) -> None:
    passes(host, MONITOR_FORMAT=webhook_format)
    (test_message,) = receiver.posts()
    assert is_test_message(test_message)
    assert "hetzner-coolify-staging" in test_message["body"] + test_message["headers"].get("Title", "")
    passes(host, MONITOR_FORMAT=webhook_format)
    assert receiver.posts() == []
    # Another URL is proven again; the state keeps a digest of the URL, never the URL.
    passes(host, MONITOR_FORMAT=webhook_format, MONITOR_WEBHOOK_URL=receiver.url(f"/hook/{SECRET}/other"))
    assert [is_test_message(post) for post in receiver.posts()] == [True]
    assert not any(SECRET in path.read_text() for path in host.state.rglob("*") if path.is_file())


def test_a_new_webhook_or_heartbeat_url_that_is_refused_fails_the_pass(host: Host, receiver: Receiver) -> None:
    receiver.status = 404
    failed = host.run()
    assert failed.returncode == 1
    assert "could not deliver 'test' of monitor" in failed.stderr
    assert "error: the heartbeat URL was not taken on its first ping" in failed.stderr
    receiver.take()
    receiver.status = 200
    passes(host)
    assert [is_test_message(post) for post in receiver.posts()] == [True]
    # Proven once: a heartbeat refused later is logged, and the pass goes on.
    receiver.status = 404
    later = host.run()
    assert later.returncode == 0 and "could not ping the heartbeat URL" in later.stderr


def test_a_full_disk_alerts_once_then_resolves_once(host: Host, receiver: Receiver) -> None:
    passes(host)
    receiver.take()
    host.disks(("/", 40), ("/data/postgres", 91))
    passes(host)
    (alert,) = receiver.hooks()
    assert alert["method"] == "POST" and alert["headers"]["Content-Type"] == "application/json"
    body = json.loads(alert["body"])
    assert set(body) == {"stack", "server", "check", "status", "summary", "value", "threshold", "time"}
    assert (body["stack"], body["check"], body["status"], body["value"], body["threshold"]) == (
        "hetzner-coolify-staging", "disk:/data/postgres", "alert", "91%", "85%",
    )  # fmt: skip
    assert body["server"] == socket.gethostname()
    assert datetime.datetime.strptime(body["time"], "%Y-%m-%dT%H:%M:%SZ")
    passes(host)
    assert receiver.hooks() == []
    host.disks(("/", 40), ("/data/postgres", 60))
    passes(host)
    (resolved,) = receiver.hooks()
    assert json.loads(resolved["body"])["status"] == "resolved"
    assert json.loads(resolved["body"])["check"] == "disk:/data/postgres"


@pytest.mark.parametrize(
    ("state", "health"),
    [("exited", ""), ("running", "unhealthy"), ("missing", None)],
    ids=["exited", "unhealthy", "missing"],
)
def test_a_container_down_alerts_and_resolves(host: Host, receiver: Receiver, state: str, health: str | None) -> None:
    passes(host)
    receiver.take()
    host.containers(("coolify", "running", "healthy"), *([("app-redis", state, health)] if health is not None else []))
    passes(host)
    (alert,) = receiver.hooks()
    body = json.loads(alert["body"])
    assert (body["check"], body["status"]) == ("container:app-redis", "alert")
    host.containers(("coolify", "running", "healthy"), ("app-redis", "running", "starting"))
    passes(host)
    (resolved,) = receiver.hooks()
    assert json.loads(resolved["body"])["status"] == "resolved"


def test_a_worker_that_stops_answering_alerts_and_resolves_when_it_answers_again(
    host: Host, receiver: Receiver
) -> None:
    # ping answers for the addresses listed in a file: a stand-in for the private network, not a real one.
    answering = host.directory / "answering.txt"
    host._stub("ping", f'grep -qx -- "${{!#}}" {answering}')
    peers = {"MONITOR_PEERS": "worker-1=10.0.1.10 worker-2=10.0.1.11"}
    answering.write_text("10.0.1.10\n10.0.1.11\n")
    passes(host, **peers)
    assert receiver.hooks() == []
    answering.write_text("10.0.1.10\n")
    passes(host, **peers)
    (alert,) = receiver.hooks()
    body = json.loads(alert["body"])
    assert (body["check"], body["status"], body["value"]) == ("reachable:worker-2", "alert", "down")
    assert body["summary"] == "worker-2 (10.0.1.11) does not answer: off, hung or cut off the private network"
    answering.write_text("10.0.1.10\n10.0.1.11\n")
    passes(host, **peers)
    (resolved,) = receiver.hooks()
    assert (json.loads(resolved["body"])["check"], json.loads(resolved["body"])["status"]) == (
        "reachable:worker-2", "resolved",
    )  # fmt: skip


@pytest.mark.parametrize("peers", ["worker-1", "worker-1=10.0.1.10;id", "Worker=10.0.1.10"])
def test_peers_that_are_not_name_address_pairs_are_refused(host: Host, peers: str) -> None:
    result = host.run(MONITOR_PEERS=peers)
    assert result.returncode == 1
    assert "error: MONITOR_PEERS must be name=IPv4 address pairs" in result.stderr


def test_memory_and_cpu_alert_above_their_thresholds(host: Host, receiver: Receiver) -> None:
    passes(host)
    receiver.take()
    (host.proc / "meminfo").write_text("MemTotal: 1000 kB\nMemAvailable: 50 kB\n")
    # Since the last pass: 900 jiffies busy of 1000.
    (host.proc / "stat").write_text("cpu  600 0 500 900 0 0 0 0 0 0\n")
    passes(host)
    alerts = {json.loads(hook["body"])["check"]: json.loads(hook["body"]) for hook in receiver.hooks()}
    assert alerts["memory"]["value"] == "95%" and alerts["memory"]["threshold"] == "90%"
    assert alerts["cpu"]["value"] == "90%" and alerts["cpu"]["threshold"] == "80%"


def test_a_stale_or_missing_backup_alerts(host: Host, receiver: Receiver) -> None:
    passes(host)
    receiver.take()
    old = time.time() - 30 * 3600
    os.utime(host.stamp, (old, old))
    passes(host)
    (alert,) = receiver.hooks()
    assert json.loads(alert["body"])["value"] == "30h"
    host.stamp.touch()
    passes(host)
    assert json.loads(receiver.hooks()[0]["body"])["status"] == "resolved"
    host.stamp.unlink()
    passes(host)
    assert json.loads(receiver.hooks()[0]["body"])["value"] == "none"
    receiver.take()
    passes(host, MONITOR_BACKUP_STAMP="")
    assert [json.loads(hook["body"])["status"] for hook in receiver.hooks()] == []


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    """A TLS server on 127.0.0.1 whose certificate for dashboard.example.test is valid for 5 more days."""
    key, certificate = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "5", "-subj",
                    "/CN=dashboard.example.test", "-addext", "subjectAltName=DNS:dashboard.example.test",
                    "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(certificate),
                               "-key", str(key), "-www", "-quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while not listening(port):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def test_the_certificate_alerts_when_it_expires_too_soon_or_cannot_be_read(
    host: Host, receiver: Receiver, tls_server: str, tmp_path: Path
) -> None:
    # The server's certificate is the only one this system trusts (OpenSSL reads SSL_CERT_FILE for its defaults).
    host.settings = {"MONITOR_DASHBOARD_HOSTNAME": "dashboard.example.test", "MONITOR_TLS_ADDRESS": tls_server,
                     "SSL_CERT_FILE": str(tmp_path / "tls.crt")}  # fmt: skip
    passes(host, MONITOR_CERTIFICATE_MIN_DAYS="3")
    assert receiver.hooks() == []
    passes(host)
    (alert,) = receiver.hooks()
    body = json.loads(alert["body"])
    # Five days from the certificate's making, seconds ago: 4 whole days, or 5 within the same second.
    assert body["value"] in ("4d", "5d")
    assert (body["check"], body["status"], body["threshold"]) == ("certificate:dashboard.example.test", "alert", "14d")
    passes(host, MONITOR_CERTIFICATE_MIN_DAYS="3")
    assert json.loads(receiver.hooks()[0]["body"])["status"] == "resolved"
    passes(host, MONITOR_TLS_ADDRESS="127.0.0.1:1", MONITOR_CERTIFICATE_MIN_DAYS="3")
    assert json.loads(receiver.hooks()[0]["body"])["value"] == "unreadable"


@pytest.mark.parametrize(
    ("name", "trust"),
    [("dashboard.example.test", "/dev/null"), ("other.example.test", "tls.crt")],
    ids=["untrusted", "other-name"],
)
def test_a_certificate_far_from_expiry_that_is_not_trusted_for_the_name_alerts(
    host: Host, receiver: Receiver, tls_server: str, name: str, trust: str
) -> None:
    """A proxy serving its own self-signed certificate (untrusted), or another name's: browsers refuse both."""
    trusted = trust if trust.startswith("/") else str(host.directory / trust)
    host.settings = {"MONITOR_DASHBOARD_HOSTNAME": name, "MONITOR_TLS_ADDRESS": tls_server, "SSL_CERT_FILE": trusted}
    passes(host, MONITOR_CERTIFICATE_MIN_DAYS="1")
    (alert,) = receiver.hooks()
    body = json.loads(alert["body"])
    assert (body["check"], body["status"], body["value"]) == (f"certificate:{name}", "alert", "untrusted")
    assert body["summary"].startswith(f"the certificate served for {name} is not trusted for it (")


def test_a_refused_alert_is_kept_and_sent_again(host: Host, receiver: Receiver) -> None:
    passes(host)
    receiver.take()
    host.containers(("coolify", "exited", ""), ("app-redis", "running", ""))
    receiver.status = 500
    failed = host.run()
    assert failed.returncode != 0 and "could not deliver 'alert' of container:coolify" in failed.stderr
    requests = receiver.take()
    # curl retries a 500 (`retry = 2`); the heartbeat says the pass failed.
    assert {request["path"] for request in requests} == {f"/hook/{SECRET}", f"/ping/{SECRET}/fail"}
    receiver.status = 200
    passes(host)
    (again,) = receiver.hooks()
    assert json.loads(again["body"])["status"] == "alert"
    passes(host)
    assert receiver.hooks() == []


def test_slack_and_ntfy_bodies(host: Host, receiver: Receiver) -> None:
    passes(host)
    receiver.take()
    host.disks(("/", 40), ("/data/<postgres>&", 99))
    passes(host, MONITOR_FORMAT="slack")
    (slack,) = receiver.hooks()
    assert slack["headers"]["Content-Type"] == "application/json"
    text = json.loads(slack["body"])["text"]
    assert set(json.loads(slack["body"])) == {"text"}
    assert text.startswith("[ALERT] hetzner-coolify-staging on ") and "/data/&lt;postgres&gt;&amp; is 99% full" in text
    host.disks(("/", 40), ("/data/<postgres>&", 10))
    passes(host, MONITOR_FORMAT="ntfy")
    (ntfy,) = receiver.hooks()
    assert ntfy["body"] == "disk /data/<postgres>& is 10% full (alert above 85%)\n"
    assert (
        ntfy["headers"]["Title"]
        == "RESOLVED: disk:/data/<postgres>& on hetzner-coolify-staging (" + socket.gethostname() + ")"
    )
    assert (ntfy["headers"]["Priority"], ntfy["headers"]["Tags"]) == ("default", "white_check_mark")
    assert ntfy["headers"]["Content-Type"].startswith("text/plain")


def test_nothing_secret_in_any_body_header_log_or_command_line(host: Host, receiver: Receiver) -> None:
    host.containers(("coolify", "exited", ""))
    results = [host.run(MONITOR_FORMAT=form) for form in ("json", "slack", "ntfy")]
    host.containers(("coolify", "running", ""), ("app-redis", "running", ""))
    results += [host.run(MONITOR_FORMAT=form) for form in ("json",)]
    requests = receiver.take()
    assert len([request for request in requests if request["method"] == "POST"]) >= 2
    for request in requests:
        assert SECRET not in request["body"] + json.dumps(request["headers"])
    for result in results:
        assert SECRET not in result.stdout + result.stderr
    command_lines = host.curl_command_lines()
    assert command_lines.count("--config -") >= 4
    assert SECRET not in command_lines and "127.0.0.1" not in command_lines


def test_without_a_webhook_changes_reach_the_journal_only(host: Host, receiver: Receiver) -> None:
    host.containers(("coolify", "exited", ""), ("app-redis", "running", ""))
    result = passes(host, MONITOR_WEBHOOK_URL="", MONITOR_HEARTBEAT_URL="")
    assert "no webhook configured" in result.stderr and "ALERT: container coolify is exited" in result.stderr
    assert receiver.take() == []
    assert (host.state / "checks" / "container:coolify").read_text() == "alert\n"


@pytest.mark.parametrize(("name", "value"), [("MONITOR_DISK_PERCENT", "8$(id)"), ("MONITOR_FORMAT", "xml")])
def test_bad_settings_fail_naming_the_variable(host: Host, name: str, value: str) -> None:
    result = host.run(**{name: value})
    assert result.returncode != 0 and f"error: {name} must be" in result.stderr


# install-monitor.sh


def install_inputs(**urls: str) -> dict[str, str]:
    values = monitor_settings(
        MonitoringSettings(),
        stack="hetzner-coolify-staging",
        dashboard_hostname="coolify.example.test",
        containers=["coolify", "coolify-db", "app-redis"],
        backups=True,
        peers={"worker-1": "10.0.1.10"},
    )
    return {**monitor_inputs(MonitoringSettings(), values), **urls}


URLS = {"MONITOR_WEBHOOK_URL": f"https://ntfy.sh/{SECRET}", "MONITOR_HEARTBEAT_URL": f"https://hc-ping.com/{SECRET}"}
URLS_DIR = "etc/hetzner-coolify/credentials/monitor"


def test_install_writes_the_monitor_its_settings_its_urls_root_only_and_proves_it(sandbox: Sandbox) -> None:
    result = sandbox.run("install-monitor.sh", install_inputs(**URLS))
    assert result.returncode == 0, result.stderr
    root = sandbox.root
    assert oct((root / "usr/local/sbin/hetzner-coolify-monitor").stat().st_mode & 0o777) == "0o755"
    settings = (root / "etc/hetzner-coolify/monitor.env").read_text()
    assert 'MONITOR_DISK_PERCENT="85"\n' in settings and 'MONITOR_CONTAINERS="coolify coolify-db' in settings
    assert oct((root / URLS_DIR).stat().st_mode & 0o777) == "0o700"
    for name, variable in (("webhook-url", "MONITOR_WEBHOOK_URL"), ("heartbeat-url", "MONITOR_HEARTBEAT_URL")):
        assert (root / URLS_DIR / name).read_text() == URLS[variable]
        assert oct((root / URLS_DIR / name).stat().st_mode & 0o777) == "0o600"
    timer = (root / "etc/systemd/system/hetzner-coolify-monitor.timer").read_text()
    assert "OnUnitActiveSec=5min\n" in timer
    calls = sandbox.calls()
    assert any(call.startswith("apt-get") and " jq " in f"{call} " for call in calls)
    assert "systemctl enable hetzner-coolify-monitor.timer" in calls and PROOF in calls
    assert SECRET not in result.stdout + result.stderr + "\n".join(calls)


def test_install_converges_and_an_unset_url_loses_its_file(sandbox: Sandbox) -> None:
    assert sandbox.run("install-monitor.sh", install_inputs(**URLS)).returncode == 0
    before = sandbox.tree()
    again = sandbox.run("install-monitor.sh", install_inputs(**URLS))
    assert again.returncode == 0, again.stderr
    assert sandbox.tree() == before
    assert not [call for call in sandbox.calls() if call.startswith(STATE_CHANGING)]
    assert "nothing changed" in again.stderr
    unset = sandbox.run("install-monitor.sh", install_inputs(MONITOR_WEBHOOK_URL=URLS["MONITOR_WEBHOOK_URL"]))
    assert unset.returncode == 0, unset.stderr
    assert sorted(path.name for path in (sandbox.root / URLS_DIR).iterdir()) == ["webhook-url"]
    assert PROOF in sandbox.calls()


def test_install_fails_when_its_first_pass_fails(sandbox: Sandbox) -> None:
    failing = {"SYSTEMCTL_FAIL_START": "hetzner-coolify-monitor.service", "FAKE_JOURNAL": "[monitor] error: x"}
    result = sandbox.run("install-monitor.sh", {**install_inputs(), **failing})
    assert result.returncode != 0 and "the first pass of the monitor failed" in result.stderr
    assert "[monitor] error: x" in result.stderr
    retried = sandbox.run("install-monitor.sh", install_inputs())
    assert retried.returncode == 0 and PROOF in sandbox.calls()


def test_the_backup_unit_stamps_success_only_after_its_job() -> None:
    lines = template_text("hetzner-coolify-backup.service").splitlines()
    assert lines.index(f"ExecStartPost=/usr/bin/install -D -m 0644 /dev/null {BACKUP_STAMP}") > lines.index(
        "ExecStart=/usr/local/sbin/hetzner-coolify-backup run"
    )
    assert "Type=oneshot" in lines
