"""postgres-roles.sh against a real PostgreSQL set up as the official image sets one up (a bootstrap superuser,
trust on the local socket, scram-sha-256 over the network), reached through a `docker exec` that runs the command
against it with only the environment docker would pass: a new cluster and one initialised with the app's user as
its superuser both end with the app's role owning its database and unable to reach a shell."""

import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.server_scripts import server_script
from stack_config.data_services import POSTGRES_SUPERUSER
from stack_config.rotation import alternate_role
from tests.real.servers import POSTGRES_BIN, as_postgres, generated_password
from tests.sshd import free_port

APP_USER = DATABASE = "app"
ALTERNATE_USER = alternate_role(APP_USER)
SHELL_ESCAPE = "copy (select 1) to program 'id'"


# The container's address on Coolify's network, where apps connect from other containers.
NETWORK_ADDRESS = "127.0.0.2"


@dataclass
class Cluster:
    port: int
    sockets: Path
    superuser: str

    def psql(self, sql: str, user: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        """Over the network, as an app connects; with no password, over the local socket."""
        host = [f"--host={NETWORK_ADDRESS}"] if password is not None else [f"--host={self.sockets}"]
        return subprocess.run(
            [str(POSTGRES_BIN / "psql"), "-XAt", *host, f"--port={self.port}", f"--username={user}",
             f"--dbname={DATABASE}", "--command", sql],
            capture_output=True, text=True, check=False,
            env={"PATH": os.environ["PATH"], **({"PGPASSWORD": password} if password is not None else {})},
        )  # fmt: skip


@contextmanager
def official_image_cluster(superuser: str, superuser_password: str) -> Iterator[Cluster]:
    """initdb as docker-entrypoint.sh runs it (--username, --pwfile, no auth method: trust for the local socket and
    127.0.0.1), `host all all all` for scram-sha-256, and the database POSTGRES_DB created by the superuser
    (docker-library/postgres@6edb0a8c4d:17/bookworm/docker-entrypoint.sh:92,218-229,263-281)."""
    with tempfile.TemporaryDirectory(prefix="hetzner-coolify-roles-") as directory:
        base = Path(directory)
        base.chmod(0o777)
        data, sockets = base / "data", base / "sockets"
        sockets.mkdir(mode=0o777)
        sockets.chmod(0o777)
        (base / "pwfile").write_text(superuser_password + "\n")
        (base / "pwfile").chmod(0o644)
        subprocess.run(
            as_postgres([str(POSTGRES_BIN / "initdb"), "-D", str(data), f"--username={superuser}",
                         f"--pwfile={base / 'pwfile'}", "-E", "UTF8"]),
            check=True, capture_output=True,
        )  # fmt: skip
        # initdb trusts host connections from 127.0.0.1 and ::1: in the container, its own loopback, which no app
        # shares. Here every client shares this machine's loopback, so those lines go: connections over the network
        # meet `host all all all scram-sha-256` as apps in other containers do.
        hba = data / "pg_hba.conf"
        lines = [line for line in hba.read_text().splitlines() if not line.startswith("host ")]
        hba.write_text("\n".join([*lines, "host all all all scram-sha-256", ""]))
        port = free_port()
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = '{NETWORK_ADDRESS}'\nport = {port}\n")
            conf.write(f"unix_socket_directories = '{sockets}'\n")
        pg_ctl = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log")]
        subprocess.run(as_postgres([*pg_ctl, "start"]), check=True, capture_output=True)
        cluster = Cluster(port, sockets, superuser)
        try:
            assert cluster.psql(f"create database {DATABASE}", superuser).returncode != 0  # no such database yet
            subprocess.run(
                [str(POSTGRES_BIN / "createdb"), f"--host={sockets}", f"--port={port}", f"--username={superuser}",
                 DATABASE], check=True, capture_output=True,
            )  # fmt: skip
            yield cluster
        finally:
            subprocess.run(as_postgres([*pg_ctl, "-m", "fast", "stop"]), check=False, capture_output=True)


def fake_docker(directory: Path, cluster: Cluster) -> Path:
    """`docker exec [-i] [-e NAME]... CONTAINER COMMAND...`: COMMAND with the environment docker would give it
    (the named variables only, from this environment) and the cluster as its default server; `docker inspect`:
    the container's network address. Every call's arguments are kept in calls.log."""
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(f"""#!/usr/bin/env bash
printf '%s\\n' "$*" >>{shlex.quote(str(directory / "calls.log"))}
if [[ "$1" == inspect ]]; then echo "{NETWORK_ADDRESS} "; exit 0; fi
[[ "$1" == exec ]] || exit 1
shift
passed=(PATH="$PATH" PGHOST={shlex.quote(str(cluster.sockets))} PGPORT={cluster.port})
while [[ "$1" == -* ]]; do
  case "$1" in
    -i) ;;
    -e) shift; [[ "$1" == *=* ]] && passed+=("$1") || passed+=("$1=${{!1}}") ;;
  esac
  shift
done
shift  # the container
exec env -i "${{passed[@]}}" "$@"
""")
    (bin_dir / "docker").chmod(0o755)
    return bin_dir


def converge(
    directory: Path, cluster: Cluster, app_password: str, alternate_password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The step as the stack sends it: the script on stdin of `bash -s`, its passwords as environment; with
    `alternate_password`, as from the first rotation on."""
    bin_dir = directory / "bin" if (directory / "bin").exists() else fake_docker(directory, cluster)
    environment = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CONTAINER": "app-postgres",
                   "SUPERUSER": POSTGRES_SUPERUSER, "APP_USER": APP_USER, "DATABASE": DATABASE,
                   "POSTGRES_APP_PASSWORD": app_password}  # fmt: skip
    if alternate_password is not None:
        environment |= {"ALTERNATE_USER": ALTERNATE_USER, "POSTGRES_ALTERNATE_PASSWORD": alternate_password}
    return subprocess.run(
        ["bash", "-s"], input=server_script("postgres-roles.sh").text, env=environment, capture_output=True,
        text=True, check=False,
    )  # fmt: skip


def assert_app_owns_its_database_and_nothing_more(cluster: Cluster, app_password: str) -> None:
    facts = cluster.psql(
        "select r.rolsuper, r.rolcreaterole, r.rolcreatedb, pg_get_userbyid(d.datdba) from pg_roles r, pg_database d "
        f"where r.rolname = current_user and d.datname = '{DATABASE}'",
        APP_USER, app_password,
    )  # fmt: skip
    assert (facts.returncode, facts.stdout) == (0, f"f|f|f|{APP_USER}\n"), facts.stderr
    escape = cluster.psql(SHELL_ESCAPE, APP_USER, app_password)
    assert escape.returncode != 0
    assert "pg_execute_server_program" in escape.stderr
    assert cluster.psql("create table orders (id int)", APP_USER, app_password).returncode == 0
    # The superuser has no password left: nothing logs in as it over the network.
    superuser = cluster.psql("select 1", POSTGRES_SUPERUSER, "any password")
    assert superuser.returncode != 0
    assert (
        cluster.psql(
            f"select rolpassword is null from pg_authid where rolname = '{POSTGRES_SUPERUSER}'", POSTGRES_SUPERUSER
        ).stdout
        == "t\n"
    )


def test_a_new_cluster_gets_the_apps_role_and_an_internal_superuser(tmp_path: Path) -> None:
    app_password = generated_password()
    with official_image_cluster(POSTGRES_SUPERUSER, generated_password()) as cluster:
        first = converge(tmp_path, cluster, app_password)
        assert first.returncode == 0, first.stderr
        assert first.stderr.splitlines() == [
            "[postgres-roles] created app",
            "[postgres-roles] set the password of app",
            "[postgres-roles] gave app to app",
            "[postgres-roles] removed the password of postgres (local socket only)",
        ]
        assert_app_owns_its_database_and_nothing_more(cluster, app_password)
        again = converge(tmp_path, cluster, app_password)
        assert (again.returncode, again.stderr) == (0, "[postgres-roles] roles as they should be (nothing changed)\n")
        calls = (tmp_path / "calls.log").read_text()
        assert app_password not in calls
        assert "exec -e PGPASSWORD app-postgres psql" in calls


def test_a_cluster_whose_superuser_is_the_apps_user_is_demoted_and_the_app_keeps_its_password(
    tmp_path: Path,
) -> None:
    """As every stack deployed before: POSTGRES_USER was the app's user. The app's password keeps working."""
    app_password = generated_password()
    with official_image_cluster(APP_USER, app_password) as cluster:
        assert cluster.psql(SHELL_ESCAPE, APP_USER, app_password).returncode == 0  # the attack, before
        result = converge(tmp_path, cluster, app_password)
        assert result.returncode == 0, result.stderr
        # It already owns the database, and its password works: neither is touched.
        assert result.stderr.splitlines() == [
            "[postgres-roles] created the superuser postgres",
            "[postgres-roles] took superuser and role/database creation from app",
        ]
        assert_app_owns_its_database_and_nothing_more(cluster, app_password)
        again = converge(tmp_path, cluster, app_password)
        assert (again.returncode, again.stderr) == (0, "[postgres-roles] roles as they should be (nothing changed)\n")


@pytest.mark.parametrize("name", ["APP_USER", "DATABASE", "SUPERUSER"])
def test_names_that_are_not_plain_sql_names_are_refused_before_any_sql(tmp_path: Path, name: str) -> None:
    environment = {"PATH": os.environ["PATH"], "CONTAINER": "app-postgres", "SUPERUSER": POSTGRES_SUPERUSER,
                   "APP_USER": APP_USER, "DATABASE": DATABASE, "POSTGRES_APP_PASSWORD": generated_password(),
                   name: "app; drop database app"}  # fmt: skip
    result = subprocess.run(["bash", "-s"], input=server_script("postgres-roles.sh").text, env=environment,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert (result.returncode, result.stderr) == (1, f"[postgres-roles] error: {name} is not a plain SQL name\n")


def test_rotations_alternate_between_two_logins_that_both_act_as_the_owner(tmp_path: Path) -> None:
    """Rotation 1 adds the second login; rotation 2 gives the first a new password while the second, which apps
    moved to, keeps working. Whichever login an app holds, what it creates belongs to the owner."""
    first, second = generated_password(), generated_password()
    with official_image_cluster(POSTGRES_SUPERUSER, generated_password()) as cluster:
        assert converge(tmp_path, cluster, first).returncode == 0
        assert cluster.psql("create table before_rotation (id int)", APP_USER, first).returncode == 0
        rotated = converge(tmp_path, cluster, first, second)
        assert rotated.returncode == 0, rotated.stderr
        assert rotated.stderr.splitlines() == [
            f"[postgres-roles] created {ALTERNATE_USER}",
            f"[postgres-roles] made {ALTERNATE_USER} a member of {APP_USER}",
            f"[postgres-roles] made the sessions of {ALTERNATE_USER} act as {APP_USER}",
            f"[postgres-roles] set the password of {ALTERNATE_USER}",
        ]
        again = converge(tmp_path, cluster, first, second)
        assert (again.returncode, again.stderr) == (0, "[postgres-roles] roles as they should be (nothing changed)\n")
        session = cluster.psql(
            "create table after_rotation (id int); insert into before_rotation values (1); "
            "select current_user, session_user, pg_get_userbyid(relowner) from pg_class "
            "where relname = 'after_rotation'",
            ALTERNATE_USER, second,
        )  # fmt: skip
        assert (session.returncode, session.stdout.splitlines()[-1]) == (0, f"{APP_USER}|{ALTERNATE_USER}|{APP_USER}")
        assert cluster.psql("select count(*) from after_rotation", APP_USER, first).stdout == "0\n"
        escape = cluster.psql(SHELL_ESCAPE, ALTERNATE_USER, second)
        assert "pg_execute_server_program" in escape.stderr
        powers = cluster.psql(
            f"select rolsuper or rolcreaterole or rolcreatedb from pg_roles where rolname = '{ALTERNATE_USER}'",
            POSTGRES_SUPERUSER,
        )
        assert powers.stdout == "f\n"
        third = generated_password()
        rotated_again = converge(tmp_path, cluster, third, second)
        assert rotated_again.stderr.splitlines() == [f"[postgres-roles] set the password of {APP_USER}"]
        assert cluster.psql("select 1", APP_USER, first).returncode != 0
        assert cluster.psql("select 1", APP_USER, third).returncode == 0
        assert cluster.psql("select 1", ALTERNATE_USER, second).returncode == 0


def test_an_alternate_login_needs_its_password_and_a_name_of_its_own(tmp_path: Path) -> None:
    base = {"PATH": os.environ["PATH"], "CONTAINER": "app-postgres", "SUPERUSER": POSTGRES_SUPERUSER,
            "APP_USER": APP_USER, "DATABASE": DATABASE, "POSTGRES_APP_PASSWORD": generated_password()}  # fmt: skip
    cases = [
        ({"ALTERNATE_USER": ALTERNATE_USER}, "POSTGRES_ALTERNATE_PASSWORD is not set"),
        ({"ALTERNATE_USER": APP_USER, "POSTGRES_ALTERNATE_PASSWORD": generated_password()},
         "ALTERNATE_USER must be neither APP_USER nor the superuser"),
        ({"ALTERNATE_USER": "app; drop role app", "POSTGRES_ALTERNATE_PASSWORD": generated_password()},
         "ALTERNATE_USER is not a plain SQL name"),
        ({"ALTERNATE_USER": ALTERNATE_USER, "POSTGRES_ALTERNATE_PASSWORD": "x' or '1"},
         "POSTGRES_ALTERNATE_PASSWORD is not a generated password"),
    ]  # fmt: skip
    for extra, message in cases:
        result = subprocess.run(["bash", "-s"], input=server_script("postgres-roles.sh").text, env=base | extra,
                                capture_output=True, text=True, check=False)  # fmt: skip
        assert (result.returncode, result.stderr) == (1, f"[postgres-roles] error: {message}\n")
