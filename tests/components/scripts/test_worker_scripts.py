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
    def test_prints_the_public_key_only(self, sandbox: Sandbox) -> None:
        keys = sandbox.root / "data/coolify/ssh/keys"
        keys.mkdir(parents=True)
        (keys / "id.root@host.docker.internal").write_text("private")
        (keys / "id.root@host.docker.internal.pub").write_text(f"{KEY} root@coolify\n")
        result = sandbox.run("read-coolify-key.sh", {})
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{KEY}\n"

    def test_derives_it_from_the_private_key(self, sandbox: Sandbox, tmp_path: Path) -> None:
        keys = sandbox.root / "data/coolify/ssh/keys"
        keys.mkdir(parents=True)
        private = keys / "id.root@host.docker.internal"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(private)], check=True)
        public = (keys / "id.root@host.docker.internal.pub").read_text().split()[:2]
        (keys / "id.root@host.docker.internal.pub").unlink()
        result = sandbox.run("read-coolify-key.sh", {})
        assert result.stdout.split() == public

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
    """Coolify's API as far as registering a server goes."""

    def __init__(self) -> None:
        self.servers: list[dict[str, Any]] = [{"uuid": "local", "ip": "host.docker.internal"}]
        self.requests: list[tuple[str, str, str]] = []
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

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                if self.path == "/api/v1/servers":
                    self._reply(200, fake.servers)
                elif self.path == "/api/v1/security/keys":
                    self._reply(200, [{"uuid": "git", "name": "github"}, {"uuid": "k1", "name": "localhost's key"}])
                else:
                    self._reply(404, {"message": "Resource not found."})

            def do_POST(self) -> None:
                if not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.servers.append({**body, "uuid": f"s{len(fake.servers)}"})
                self._reply(201, {"uuid": f"s{len(fake.servers) - 1}"})

            def log_message(self, *_: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api = f"http://127.0.0.1:{self._server.server_address[1]}/api/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

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
        {
            "WORKER_NAME": "stack-worker-1",
            "WORKER_IP": "10.0.1.10",
            "COOLIFY_API_TOKEN": token,
            "COOLIFY_API": coolify.api,
        },
    )


class TestRegisterWorker:
    def test_registers_with_coolifys_own_key_and_validates(self, coolify: FakeCoolify) -> None:
        result = register(coolify)
        assert result.returncode == 0, result.stderr
        created = coolify.servers[-1]
        fields = ("name", "ip", "port", "user", "private_key_uuid", "instant_validate")
        assert {key: created[key] for key in fields} == {
            "name": "stack-worker-1", "ip": "10.0.1.10", "port": 22, "user": "root", "private_key_uuid": "k1",
            "instant_validate": True,
        }  # fmt: skip
        assert "registered stack-worker-1 (10.0.1.10) as server s1" in result.stderr
        assert TOKEN not in result.stdout + result.stderr

    def test_a_known_worker_is_left_alone(self, coolify: FakeCoolify) -> None:
        assert register(coolify).returncode == 0
        again = register(coolify)
        assert again.returncode == 0
        assert "Coolify already knows stack-worker-1 (10.0.1.10)" in again.stderr
        assert [method for method, _, _ in coolify.requests].count("POST") == 1

    def test_a_refused_token_fails_the_step(self, coolify: FakeCoolify) -> None:
        result = register(coolify, token="wrong")
        assert result.returncode == 1
        assert "error: Coolify's API refused" in result.stderr
        assert len(coolify.servers) == 1
