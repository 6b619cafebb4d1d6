"""Real PostgreSQL and Redis servers on loopback, started and stopped by the tests that need them."""

import http.server
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.service_containers import redis_server_arguments
from tests.sshd import free_port

# Tables with every kind of value a backup must carry: text, nulls, unicode, numerics, JSON, bytes.
SAMPLE_DATA = """
create table customers (id serial primary key, name text not null, email text unique,
                        created timestamptz default now());
create table orders (id bigserial primary key, customer_id int references customers(id), total numeric(12,2),
                     notes text, payload jsonb, blob bytea);
insert into customers (name, email) select 'customer ' || n, 'c' || n || '@example.com' from generate_series(1, 500) n;
insert into customers (name, email) values ('Zoë Ünïcode ✓', null);
insert into orders (customer_id, total, notes, payload, blob)
  select 1 + n % 500, n * 1.25, case when n % 7 = 0 then null else 'note ' || n end,
         jsonb_build_object('n', n, 'tags', jsonb_build_array('a', 'b')), decode(md5(n::text), 'hex')
  from generate_series(1, 2000) n;
"""


def newest_postgres_bin() -> Path:
    """Debian and Ubuntu keep each major version's binaries apart; Debian 12 ships 15, Ubuntu 24.04 16."""
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not installed:
        raise RuntimeError(
            "PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin/initdb (.ci/run installs it)"
        )
    return installed[-1].parent


POSTGRES_BIN = newest_postgres_bin()


def generated_password() -> str:
    """What RandomPassword(length=32, special=False) produces."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root; CI runs as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Postgres:
    port: int
    user: str
    database: str
    password: str
    data: Path
    socket_dir: Path

    def psql(self, url: str, sql: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSTGRES_BIN / "psql"), url, "-XAtc", sql],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": os.environ["PATH"], **(extra_env or {})},
        )


@contextmanager
def postgres_server(user: str = "app", database: str = "app") -> Iterator[Postgres]:
    """A cluster initialised the way the official image does it: a superuser with a password, scram auth.

    It lives outside pytest's private temporary directories, which the postgres user cannot enter.
    """
    with tempfile.TemporaryDirectory(prefix="hetzner-coolify-postgres-") as directory:
        base = Path(directory)
        base.chmod(0o777)
        yield from _postgres_in(base, user, database)


def _postgres_in(base: Path, user: str, database: str) -> Iterator[Postgres]:
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir(mode=0o777, exist_ok=True)
    sockets.chmod(0o777)
    password = generated_password()
    password_file = base / "pwfile"
    password_file.write_text(password + "\n")
    password_file.chmod(0o644)
    subprocess.run(
        as_postgres([str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", user, "--pwfile", str(password_file),
                     "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{sockets}'\n")
    subprocess.run(as_postgres([str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "start"]),
                   check=True, capture_output=True)  # fmt: skip
    server = Postgres(port, user, database, password, data, sockets)
    try:
        environment = {"PGPASSWORD": password, "PATH": os.environ["PATH"]}
        subprocess.run([str(POSTGRES_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, database],
                       check=True, capture_output=True, env=environment)  # fmt: skip
        yield server
    finally:
        subprocess.run(as_postgres([str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       check=False, capture_output=True)  # fmt: skip


@dataclass
class Redis:
    port: int
    password: str
    process: subprocess.Popen[bytes]


@contextmanager
def redis_server(directory: Path, memory_mb: int = 256) -> Iterator[Redis]:
    """redis-server with the container's own options, expanded by a shell from the same environment."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is missing: install redis-server (.ci/install-system-packages does)")
    password = generated_password()
    port = free_port()
    options = " ".join(redis_server_arguments(memory_mb))
    process = subprocess.Popen(
        ["sh", "-c", f"exec redis-server {options} --port {port} --bind 127.0.0.1 --dir {directory} --save ''"],
        env={"PATH": os.environ["PATH"], "REDIS_PASSWORD": password},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, check=False).returncode:
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    try:
        yield Redis(port, password, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class S3Server:
    endpoint: str
    bucket: str

    def client(self) -> Any:
        import boto3  # noqa: PLC0415 - moto brings it; only these tests need it

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id="test", aws_secret_access_key="test",
            region_name="us-east-1",
        )  # fmt: skip

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """moto's S3-compatible server on loopback, with one bucket."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        server = S3Server(f"http://127.0.0.1:{port}", "backups")
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass
class AgeKeys:
    identity_file: Path
    recipient: str


def age_keys(directory: Path) -> AgeKeys:
    identity = directory / "age-identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True)
    return AgeKeys(identity, recipient.stdout.strip())


@dataclass
class SigningKey:
    """An ed25519 key as install-backup.sh makes one: the private file (0600) and the public line it prints."""

    private_file: Path
    public: str


def signing_key(directory: Path, name: str = "backup-signing-key") -> SigningKey:
    private = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hetzner-coolify-backup", "-f", str(private)],
                   check=True, capture_output=True)  # fmt: skip
    public = subprocess.run(["ssh-keygen", "-y", "-f", str(private)], check=True, capture_output=True, text=True)
    return SigningKey(private, public.stdout.strip())


class PingRecorder:
    """A monitoring endpoint (healthchecks.io style) on loopback that records the paths it was pinged at.

    With `start_after`, it starts listening only after that many seconds, like a service coming up.
    """

    def __init__(self, port: int = 0, start_after: float = 0) -> None:
        paths: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.paths = paths
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/ping"
        self._server: http.server.ThreadingHTTPServer | None = None
        self._started = threading.Event()

        def serve() -> None:
            time.sleep(start_after)
            self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
            self._started.set()
            self._server.serve_forever()

        threading.Thread(target=serve, daemon=True).start()
        if not start_after:
            self._started.wait(10)

    def close(self) -> None:
        self._started.wait(30)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
