"""The URLs and settings the stack gives apps, against a real PostgreSQL and a real Redis."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.service_containers import POSTGRES_HEALTHCHECK, REDIS_HEALTHCHECK, database_url, redis_url
from tests.real.servers import POSTGRES_BIN, Postgres, Redis, postgres_server, redis_server


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


def test_the_database_url_connects_as_the_app_user(postgres: Postgres) -> None:
    url = database_url(postgres.user, postgres.password, "127.0.0.1", postgres.port, postgres.database)
    result = postgres.psql(url, "select current_user || ' ' || current_database()")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "app app"


def test_a_wrong_password_is_refused(postgres: Postgres) -> None:
    url = database_url(postgres.user, postgres.password[::-1], "127.0.0.1", postgres.port, postgres.database)
    result = postgres.psql(url, "select 1")
    assert result.returncode != 0
    assert "password authentication failed" in result.stderr


def test_the_url_quotes_what_would_break_it(postgres: Postgres) -> None:
    url = database_url("app", "p@ss:/w#rd?", "db", 5432, "app")
    assert url == "postgresql://app:p%40ss%3A%2Fw%23rd%3F@db:5432/app"


def test_the_postgres_healthcheck_runs(postgres: Postgres) -> None:
    _, shell_command = POSTGRES_HEALTHCHECK
    environment = {"PATH": f"{POSTGRES_BIN}:{os.environ['PATH']}", "POSTGRES_USER": postgres.user,
                   "POSTGRES_DB": postgres.database, "PGHOST": "127.0.0.1", "PGPORT": str(postgres.port)}  # fmt: skip
    assert subprocess.run(["sh", "-c", shell_command], env=environment, check=False).returncode == 0
    environment["PGPORT"] = "1"
    assert subprocess.run(["sh", "-c", shell_command], env=environment, check=False).returncode != 0


def redis_cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["redis-cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ["PATH"], **(env or {})},
    )


def test_the_redis_url_authenticates(redis: Redis) -> None:
    url = redis_url(redis.password, "127.0.0.1", redis.port)
    assert redis_cli("-u", url, "ping").stdout.strip() == "PONG"
    assert redis_cli("-u", url, "config", "get", "appendonly").stdout.split() == ["appendonly", "yes"]
    assert redis_cli("-u", url, "config", "get", "maxmemory").stdout.split() == ["maxmemory", str(192 * 1024 * 1024)]


def test_redis_refuses_clients_without_the_password(redis: Redis) -> None:
    assert "NOAUTH" in redis_cli("-p", str(redis.port), "ping").stdout
    wrong = redis_url(redis.password[::-1], "127.0.0.1", redis.port)
    assert "WRONGPASS" in redis_cli("-u", wrong, "ping").stdout + redis_cli("-u", wrong, "ping").stderr


def test_the_redis_healthcheck_authenticates_without_the_password_in_arguments(redis: Redis) -> None:
    _, shell_command = REDIS_HEALTHCHECK
    assert "$REDIS_PASSWORD" in shell_command and " -a " not in shell_command
    local = shell_command.replace("redis-cli", f"redis-cli -p {redis.port}")
    ok = subprocess.run(
        ["sh", "-c", local], env={"PATH": os.environ["PATH"], "REDIS_PASSWORD": redis.password}, check=False
    )
    assert ok.returncode == 0
    bad = subprocess.run(["sh", "-c", local], env={"PATH": os.environ["PATH"], "REDIS_PASSWORD": "wrong"}, check=False)
    assert bad.returncode != 0


def test_the_password_is_not_in_the_process_list(redis: Redis) -> None:
    arguments = Path(f"/proc/{redis.process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert redis.password not in arguments
    assert arguments.startswith("redis-server")
