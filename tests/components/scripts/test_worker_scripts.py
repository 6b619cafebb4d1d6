"""The worker scripts: reading Coolify's key, authorizing it, registering a worker through a fake Coolify API."""

import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.components.scripts.conftest import Sandbox, run_script

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7"
TOKEN = "3|k8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"


class TestReadCoolifyKey:
    """Coolify's key as Coolify keeps it: ssh_key@<uuid of private key 0> (coollabsio/coolify@v4.3.10:
    database/seeders/PopulateSshKeysDirectorySeeder.php:15-22, app/Models/PrivateKey.php:204-206)."""

    def keys(self, sandbox: Sandbox) -> Path:
        keys = sandbox.root / "data/coolify/ssh/keys"
        keys.mkdir(parents=True)
        return keys

    def answers(self, sandbox: Sandbox, uuid: str) -> dict[str, str]:
        answers = sandbox.root.parent / "coolify-db-answers"
        answers.write_text(f"from private_keys where id = 0|{uuid}\n")
        return {"DOCKER_EXEC_ANSWERS": str(answers)}

    def test_derives_the_public_half_of_the_key_coolify_uses(self, sandbox: Sandbox) -> None:
        private = self.keys(sandbox) / "ssh_key@k0"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "x", "-f", str(private)], check=True)
        public = Path(f"{private}.pub").read_text().split()[:2]
        # The installer's file, which Coolify's first start deletes, must not be what is read.
        (private.parent / "id.root@host.docker.internal").write_text("not a key")
        result = sandbox.run("read-coolify-key.sh", self.answers(sandbox, "k0"))
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == public

    def test_falls_back_to_the_key_the_installer_authorized_for_root(self, sandbox: Sandbox) -> None:
        authorized = sandbox.root / "root/.ssh/authorized_keys"
        authorized.parent.mkdir(parents=True)
        authorized.write_text(f"ssh-ed25519 AAAAother admin\n{KEY} coolify\n")
        result = sandbox.run("read-coolify-key.sh", self.answers(sandbox, "missing"))
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{KEY}\n"
        assert "using the key its installer authorized for root" in result.stderr

    def test_fails_clearly_without_coolify(self, sandbox: Sandbox) -> None:
        result = sandbox.run("read-coolify-key.sh", {})
        assert result.returncode == 1
        assert "is Coolify installed?" in result.stderr
        assert result.stdout == ""


class TestAuthorizeKey:
    def test_adds_the_key_once_and_keeps_the_others(self, sandbox: Sandbox) -> None:
        keys = sandbox.root / "root/.ssh/authorized_keys"
        keys.parent.mkdir(parents=True)
        keys.write_text("ssh-ed25519 AAAAexisting admin\n")
        assert sandbox.run("authorize-key.sh", {"AUTHORIZED_KEY": KEY}).returncode == 0
        assert keys.read_text() == f"ssh-ed25519 AAAAexisting admin\n{KEY}\n"
        assert oct(keys.stat().st_mode & 0o777) == "0o600"
        tree = sandbox.tree()
        again = sandbox.run("authorize-key.sh", {"AUTHORIZED_KEY": f"{KEY} other-comment"})
        assert again.returncode == 0 and "already authorized" in again.stderr
        assert sandbox.tree() == tree

    def test_refuses_what_is_not_a_public_key(self, sandbox: Sandbox) -> None:
        result = sandbox.run("authorize-key.sh", {"AUTHORIZED_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----"})
        assert result.returncode == 1
        assert not (sandbox.root / "root/.ssh/authorized_keys").exists()


class FakeCoolify:
    """Coolify's API as far as registering and validating a server goes (coollabsio/coolify@v4.3.10:
    routes/api.php:151-193, app/Http/Controllers/Api/ServersController.php). A validation runs for two polls,
    then leaves the server usable, or not with its logs, as `outcome` says."""

    def __init__(self, outcome: str = "usable") -> None:
        self.servers: list[dict[str, Any]] = [
            {"uuid": "local", "ip": "host.docker.internal", "is_validating": False, "validation_logs": None,
             "settings": {"is_reachable": True, "is_usable": True}},
        ]  # fmt: skip
        self.requests: list[tuple[str, str, str]] = []
        self.outcome = outcome
        self.polls_left: dict[str, int] = {}
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self, status: int, body: object) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def _authorized(self) -> bool:
                fake.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._reply(401, {"message": "Unauthenticated."})
                    return False
                return True

            def _server(self, uuid: str) -> dict[str, Any] | None:
                return next((server for server in fake.servers if server["uuid"] == uuid), None)

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                parts = self.path.split("/")
                if self.path == "/api/v1/servers":
                    self._reply(200, fake.servers)
                elif self.path == "/api/v1/security/keys":
                    self._reply(200, [{"uuid": "git", "name": "github"}, {"uuid": "k1", "name": "localhost's key"}])
                elif len(parts) == 5 and parts[3] == "servers" and (server := self._server(parts[4])):
                    fake.advance(server)
                    self._reply(200, server)
                else:
                    self._reply(404, {"message": "Resource not found."})

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                parts = self.path.split("/")
                if self.path == "/api/v1/servers":
                    uuid = f"s{len(fake.servers)}"
                    fake.servers.append({**body, "uuid": uuid, "is_validating": False, "validation_logs": None,
                                         "settings": {"is_reachable": False, "is_usable": False}})  # fmt: skip
                    self._reply(201, {"uuid": uuid})
                elif parts[-1] == "validate" and (server := self._server(parts[4])) and body == {"install": True}:
                    server["is_validating"] = True
                    fake.polls_left[server["uuid"]] = 2
                    self._reply(201, {"message": "Validation and installation started."})
                else:
                    self._reply(422, {"message": "Validation failed."})

            def log_message(self, *_: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api = f"http://127.0.0.1:{self._server.server_address[1]}/api/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def advance(self, server: dict[str, Any]) -> None:
        if not server["is_validating"]:
            return
        self.polls_left[server["uuid"]] -= 1
        if self.polls_left[server["uuid"]] > 0:
            return
        server["is_validating"] = False
        if self.outcome == "usable":
            server["settings"] = {"is_reachable": True, "is_usable": True}
        else:
            server["settings"] = {"is_reachable": True, "is_usable": False}
            server["validation_logs"] = "<p>Docker Engine is not installed.</p><p>Please install it manually.</p>"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def coolify() -> Iterator[FakeCoolify]:
    fake = FakeCoolify()
    yield fake
    fake.close()


def register(coolify: FakeCoolify, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    return run_script(
        "register-worker.sh",
        {"WORKER_NAME": "stack-worker-1", "WORKER_IP": "10.0.1.10", "COOLIFY_API_TOKEN": token,
         "COOLIFY_API": coolify.api, "POLL_SECONDS": "0.1", "DEADLINE_SECONDS": "10"},
    )  # fmt: skip


class TestRegisterWorker:
    def test_registers_with_coolifys_own_key_then_has_it_installed_and_validated(self, coolify: FakeCoolify) -> None:
        result = register(coolify)
        assert result.returncode == 0, result.stderr
        created = coolify.servers[-1]
        fields = ("name", "ip", "port", "user", "private_key_uuid", "is_build_server")
        assert {key: created[key] for key in fields} == {
            "name": "stack-worker-1", "ip": "10.0.1.10", "port": 22, "user": "root", "private_key_uuid": "k1",
            "is_build_server": False,
        }  # fmt: skip
        assert ("POST", "/api/v1/servers/s1/validate", f"Bearer {TOKEN}") in coolify.requests
        assert "registered stack-worker-1 (10.0.1.10) as server s1" in result.stderr
        assert "Coolify can use stack-worker-1 (10.0.1.10)" in result.stderr
        assert TOKEN not in result.stdout + result.stderr

    def test_a_worker_coolify_uses_is_left_alone(self, coolify: FakeCoolify) -> None:
        assert register(coolify).returncode == 0
        again = register(coolify)
        assert again.returncode == 0
        assert "Coolify already uses stack-worker-1 (10.0.1.10)" in again.stderr
        assert [method for method, _, _ in coolify.requests].count("POST") == 2

    def test_a_worker_coolify_cannot_use_fails_with_coolifys_reason(self) -> None:
        coolify = FakeCoolify(outcome="fails")
        try:
            result = register(coolify)
        finally:
            coolify.close()
        assert result.returncode == 1
        assert (
            "error: Coolify cannot use stack-worker-1 (10.0.1.10): Docker Engine is not installed. "
            "Please install it manually." in result.stderr
        )

    def test_a_registered_but_unusable_worker_is_validated_again(self, coolify: FakeCoolify) -> None:
        coolify.servers.append({"uuid": "s1", "ip": "10.0.1.10", "is_validating": False,
                                "validation_logs": "<p>old failure</p>",
                                "settings": {"is_reachable": False, "is_usable": False}})  # fmt: skip
        result = register(coolify)
        assert result.returncode == 0, result.stderr
        assert ("POST", "/api/v1/servers/s1/validate", f"Bearer {TOKEN}") in coolify.requests
        assert "registered" not in result.stderr

    def test_a_refused_token_fails_the_step(self, coolify: FakeCoolify) -> None:
        result = register(coolify, token="wrong")
        assert result.returncode == 1
        assert "error: Coolify's API refused" in result.stderr
        assert len(coolify.servers) == 1
