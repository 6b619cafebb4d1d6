"""install-coolify.sh, wait-for-coolify.sh and direct-ports.sh in a sandbox with stubbed tools."""

from pathlib import Path

import pytest

from components.coolify import direct_ports_inputs, install_inputs, wait_inputs
from tests.components.scripts.conftest import Sandbox

VERSION = "4.7.7"
IMAGE = f"ghcr.io/coollabsio/coolify:{VERSION}"
PASSWORD = "Zq8-vL2~mK9_xR4.tW7-pN3~hJ6_bC1.d"
EMAIL = "ops@acme-apps.eu"
CREDENTIALS = {"ROOT_USERNAME": "admin", "ROOT_USER_EMAIL": EMAIL, "ROOT_USER_PASSWORD": PASSWORD}
CUSTOM = "data/coolify/source/docker-compose.custom.yml"


@pytest.fixture
def fake_installer(tmp_path: Path) -> Path:
    """Stands in for Coolify's install.sh: prints what it was given (carelessly, the password too), reads its
    stdin, and leaves the version it installed where `docker inspect` finds it (DOCKER_INSPECT_IMAGE_FILE)."""
    path = tmp_path / "install.sh"
    path.write_text(
        'echo "installing $1 autoupdate=$AUTOUPDATE pool=$DOCKER_ADDRESS_POOL_BASE/$DOCKER_ADDRESS_POOL_SIZE"\n'
        'echo "admin=${ROOT_USERNAME:-none} email=${ROOT_USER_EMAIL:-none} password=${ROOT_USER_PASSWORD:-none}"\n'
        'if read -r line; then echo "read from stdin: $line"; fi\n'
        'image=${DOCKER_INSPECT_IMAGE_FILE:-}; [ -z "$image" ] || echo "ghcr.io/coollabsio/coolify:$1" > "$image"\n'
        'exit "${FAKE_INSTALLER_EXIT:-0}"\n'
    )
    return path


def install(sandbox: Sandbox, installer: Path, running: str = "", **extra: str) -> tuple[int, str, str]:
    image_file = sandbox.root.parent / "coolify-image"
    image_file.write_text(f"ghcr.io/coollabsio/coolify:{running}\n" if running else "")
    env = {**install_inputs(VERSION), **CREDENTIALS, "FAKE_DOWNLOAD": str(installer),
           "DOCKER_INSPECT_IMAGE_FILE": str(image_file), **extra}  # fmt: skip
    result = sandbox.run("install-coolify.sh", env)
    return result.returncode, result.stdout, result.stderr


class TestInstall:
    def test_a_first_install_gets_the_pinned_version_its_address_pool_and_its_admin(
        self, sandbox: Sandbox, fake_installer: Path
    ) -> None:
        status, out, err = install(sandbox, fake_installer)
        assert status == 0, err
        assert f"installing {VERSION} autoupdate=false pool=172.20.0.0/14/24" in out
        assert f"admin=admin email={EMAIL} password=[redacted]" in out
        assert PASSWORD not in out + err
        # The rest of this script is on the step's stdin; the installer must not read it.
        assert "read from stdin" not in out
        assert any(call.startswith("curl -fsSL") and "cdn.coollabs.io/coolify/install.sh" in call
                   for call in sandbox.calls())  # fmt: skip

    def test_the_installed_version_is_left_alone(self, sandbox: Sandbox, fake_installer: Path) -> None:
        status, _, err = install(sandbox, fake_installer, running=VERSION)
        assert status == 0
        assert f"Coolify {VERSION} is already installed" in err
        assert not any(call.startswith("curl") for call in sandbox.calls())

    def test_an_upgrade_hands_the_installer_no_admin(self, sandbox: Sandbox, fake_installer: Path) -> None:
        status, out, err = install(sandbox, fake_installer, running="4.4.7")
        assert status == 0, err
        assert f"installing {VERSION}" in out
        assert "admin=none email=none password=none" in out

    @pytest.mark.parametrize("running", ["4.8.0", "4.7.10", "5.0.0-beta.1"])
    def test_a_newer_running_version_is_never_downgraded(
        self, sandbox: Sandbox, fake_installer: Path, running: str
    ) -> None:
        status, out, err = install(sandbox, fake_installer, running=running)
        assert status == 1
        assert f"error: Coolify {running} runs here, newer than the pinned {VERSION}" in err
        assert "installing" not in out

    def test_an_installer_failure_fails_the_step(self, sandbox: Sandbox, fake_installer: Path) -> None:
        status, out, err = install(sandbox, fake_installer, FAKE_INSTALLER_EXIT="7", DOCKER_INSPECT_IMAGE_FILE="")
        assert status == 1
        assert "error: the Coolify installer exited with 7" in err
        assert PASSWORD not in out + err

    def test_an_installer_that_gives_up_early_leaves_the_verdict_to_the_wait(
        self, sandbox: Sandbox, fake_installer: Path
    ) -> None:
        status, _, err = install(sandbox, fake_installer, FAKE_INSTALLER_EXIT="1")
        assert status == 0, err
        assert f"the installer exited with 1, but Coolify {VERSION} runs" in err

    @pytest.mark.parametrize("version", ["latest", "4.3"])
    def test_an_unpinned_version_is_refused(self, sandbox: Sandbox, version: str) -> None:
        result = sandbox.run("install-coolify.sh", {**install_inputs(version), **CREDENTIALS})
        assert result.returncode == 1
        assert f"error: COOLIFY_VERSION '{version}' is not pinned" in result.stderr
        assert sandbox.calls() == []


class TestWaitForCoolify:
    def status(self, sandbox: Sandbox, text: str) -> None:
        path = sandbox.root / "data/coolify/source/.upgrade-status"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def ready(self, sandbox: Sandbox, admin: str = EMAIL, registration: str = "f") -> dict[str, str]:
        """A running Coolify whose database answers who user 0 is and whether registration is open."""
        answers = sandbox.root.parent / "coolify-db-answers"
        answers.write_text(f"from users where id = 0|{admin}\nfrom instance_settings|{registration}\n")
        return {**wait_inputs(VERSION, EMAIL), "DOCKER_INSPECT_IMAGE": IMAGE, "DOCKER_INSPECT_HEALTH": "healthy",
                "CURL_OK": "yes", "POLL_SECONDS": "0.1", "DOCKER_EXEC_ANSWERS": str(answers)}  # fmt: skip

    @pytest.mark.parametrize("status", [None, "6|Upgrade complete|2026-11-25T10:00:00+00:00"])
    def test_ready_when_upgraded_healthy_answering_with_its_admin(self, sandbox: Sandbox, status: str | None) -> None:
        if status:
            self.status(sandbox, status)
        result = sandbox.run("wait-for-coolify.sh", self.ready(sandbox))
        assert result.returncode == 0, result.stderr
        assert "Coolify is ready" in result.stderr
        assert f"Coolify's admin is {EMAIL}; registration is closed" in result.stderr

    def test_no_admin_fails_and_says_registration_is_open(self, sandbox: Sandbox) -> None:
        result = sandbox.run("wait-for-coolify.sh", self.ready(sandbox, admin=""))
        assert result.returncode == 1
        assert f"error: Coolify created no admin for {EMAIL} and registration is open" in result.stderr

    def test_open_registration_fails(self, sandbox: Sandbox) -> None:
        result = sandbox.run("wait-for-coolify.sh", self.ready(sandbox, registration="t"))
        assert result.returncode == 1
        assert "error: Coolify's registration is open" in result.stderr

    def test_another_admin_is_a_warning(self, sandbox: Sandbox) -> None:
        result = sandbox.run("wait-for-coolify.sh", self.ready(sandbox, admin="someone@else.eu"))
        assert result.returncode == 0
        assert f"warning: Coolify's admin is someone@else.eu, not {EMAIL}" in result.stderr

    @pytest.mark.parametrize(
        ("status", "change"),
        [
            ("3|Pulling Docker images|t", {}),
            (None, {"DOCKER_INSPECT_HEALTH": "starting"}),
            (None, {"DOCKER_INSPECT_IMAGE": "ghcr.io/coollabsio/coolify:4.4.7"}),
            (None, {"CURL_OK": "no"}),
        ],
        ids=["upgrade-running", "container-starting", "old-version-running", "endpoint-silent"],
    )
    def test_times_out_with_the_install_log(self, sandbox: Sandbox, status: str | None, change: dict[str, str]) -> None:
        if status:
            self.status(sandbox, status)
        log = sandbox.root / "data/coolify/source/installation-20261125-100000.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("step one\nERROR: something broke\n")
        result = sandbox.run("wait-for-coolify.sh", {**self.ready(sandbox), **change, "DEADLINE_SECONDS": "1"})
        assert result.returncode == 1
        assert f"last lines of {log}:" in result.stderr
        assert "ERROR: something broke" in result.stderr
        assert (
            f"error: Coolify was not ready within 1s (upgrade finished, container of {VERSION} healthy" in result.stderr
        )

    def test_a_failed_upgrade_fails_at_once(self, sandbox: Sandbox) -> None:
        self.status(sandbox, f"error|Failed to pull {IMAGE}|t")
        result = sandbox.run("wait-for-coolify.sh", {**self.ready(sandbox), "DEADLINE_SECONDS": "60"})
        assert result.returncode == 1
        assert f"error: Coolify's upgrade failed: Failed to pull {IMAGE}" in result.stderr


COMPOSE = "docker compose --env-file .env -f docker-compose.yml -f docker-compose.prod.yml"
WAIT = "up -d --remove-orphans --wait --wait-timeout 180"


class TestDirectPorts:
    def compose_calls(self, sandbox: Sandbox) -> list[str]:
        return [call for call in sandbox.calls() if call.startswith("docker compose")]

    def test_closing_binds_them_to_loopback_and_the_bridge_for_sentinel_once(self, sandbox: Sandbox) -> None:
        inputs = direct_ports_inputs(close_direct_ports=True, version=VERSION)
        result = sandbox.run("direct-ports.sh", {**inputs, "DOCKER_BRIDGE_GATEWAY": "172.17.0.1"})
        assert result.returncode == 0, result.stderr
        override = (sandbox.root / CUSTOM).read_text()
        assert override == inputs["COMPOSE_OVERRIDE"].replace("BRIDGE_GATEWAY", "172.17.0.1")
        # Since 4.4 the coolify service publishes all three (raw.githubusercontent.com/coollabsio/coolify/main/
        # docker-compose.prod.yml, the file Coolify's CDN serves every installer and upgrade).
        assert [line.strip() for line in override.splitlines() if line.strip().startswith('- "')] == [
            '- "127.0.0.1:${APP_PORT:-8000}:8080"',
            '- "172.17.0.1:${APP_PORT:-8000}:8080"',
            '- "127.0.0.1:${REVERB_PORT:-${SOKETI_PORT:-6001}}:6001"',
            '- "127.0.0.1:6002:6002"',
        ]
        assert self.compose_calls(sandbox) == [f"{COMPOSE} -f docker-compose.custom.yml {WAIT}"]
        tree = sandbox.tree()
        second = sandbox.run("direct-ports.sh", inputs)
        assert second.returncode == 0
        assert sandbox.tree() == tree
        assert self.compose_calls(sandbox) == []
        assert "direct ports already on 127.0.0.1" in second.stderr

    def test_a_port_still_published_everywhere_fails_the_step(self, sandbox: Sandbox) -> None:
        published = "coolify 0.0.0.0:6001->6001/tcp, 127.0.0.1:8000->8080/tcp"
        result = sandbox.run("direct-ports.sh", {**direct_ports_inputs(True, VERSION), "DOCKER_PS": published})
        assert result.returncode == 1
        assert f"error: still published on every address, the compose files may have changed: {published}" in (
            result.stderr
        )

    def test_coolifys_postgres_upgrade_file_is_kept_in_the_set(self, sandbox: Sandbox) -> None:
        upgrade = sandbox.root / "data/coolify/source/docker-compose.postgres-upgrade.yml"
        upgrade.parent.mkdir(parents=True)
        upgrade.write_text("services: {}\n")
        assert sandbox.run("direct-ports.sh", direct_ports_inputs(True, VERSION)).returncode == 0
        assert self.compose_calls(sandbox) == [
            f"{COMPOSE} -f docker-compose.custom.yml -f docker-compose.postgres-upgrade.yml {WAIT}"
        ]

    def test_opening_removes_only_our_override(self, sandbox: Sandbox) -> None:
        assert sandbox.run("direct-ports.sh", direct_ports_inputs(True, VERSION)).returncode == 0
        result = sandbox.run("direct-ports.sh", direct_ports_inputs(False, VERSION))
        assert result.returncode == 0
        assert not (sandbox.root / CUSTOM).exists()
        assert self.compose_calls(sandbox) == [f"{COMPOSE} {WAIT}"]
        again = sandbox.run("direct-ports.sh", direct_ports_inputs(False, VERSION))
        assert "direct ports already published" in again.stderr
        assert self.compose_calls(sandbox) == []

    def test_a_foreign_override_is_never_clobbered(self, sandbox: Sandbox) -> None:
        custom = sandbox.root / CUSTOM
        custom.parent.mkdir(parents=True)
        custom.write_text("services: {coolify: {environment: [A=b]}}\n")
        result = sandbox.run("direct-ports.sh", direct_ports_inputs(True, VERSION))
        assert result.returncode == 1
        assert "is not ours; merge its port bindings by hand" in result.stderr
        assert custom.read_text() == "services: {coolify: {environment: [A=b]}}\n"
