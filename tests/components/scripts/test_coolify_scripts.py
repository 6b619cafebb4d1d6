"""install-coolify.sh, wait-for-coolify.sh and direct-ports.sh in a sandbox with stubbed tools."""

from pathlib import Path

import pytest

from components.coolify import direct_ports_inputs, install_inputs
from tests.components.scripts.conftest import Sandbox

PASSWORD = "Zq8-vL2~mK9_xR4.tW7-pN3~hJ6_bC1.d"
CREDENTIALS = {"ROOT_USERNAME": "admin", "ROOT_USER_EMAIL": "ops@example.com", "ROOT_USER_PASSWORD": PASSWORD}
CUSTOM = "data/coolify/source/docker-compose.custom.yml"


@pytest.fixture
def fake_installer(tmp_path: Path) -> Path:
    """Stands in for Coolify's install.sh: prints its arguments and, carelessly, the password."""
    path = tmp_path / "install.sh"
    path.write_text('echo "installing $1 autoupdate=$AUTOUPDATE user=$ROOT_USERNAME password=$ROOT_USER_PASSWORD"\n'
                    'exit "${FAKE_INSTALLER_EXIT:-0}"\n')  # fmt: skip
    return path


class TestInstall:
    def test_installs_the_pinned_version_with_autoupdate_off(self, sandbox: Sandbox, fake_installer: Path) -> None:
        env = {**install_inputs("4.3.19"), **CREDENTIALS, "FAKE_DOWNLOAD": str(fake_installer)}
        result = sandbox.run("install-coolify.sh", env)
        assert result.returncode == 0, result.stderr
        assert "installing 4.3.19 autoupdate=false user=admin password=[redacted]" in result.stdout
        assert PASSWORD not in result.stdout + result.stderr
        assert any(
            call.startswith("curl -fsSL") and "cdn.coollabs.io/coolify/install.sh" in call for call in sandbox.calls()
        )

    def test_the_installed_version_is_left_alone(self, sandbox: Sandbox, fake_installer: Path) -> None:
        env = {**install_inputs("4.3.19"), **CREDENTIALS, "FAKE_DOWNLOAD": str(fake_installer),
               "DOCKER_INSPECT_IMAGE": "ghcr.io/coollabsio/coolify:4.3.19"}  # fmt: skip
        result = sandbox.run("install-coolify.sh", env)
        assert result.returncode == 0
        assert "Coolify 4.3.19 is already installed" in result.stderr
        assert not any(call.startswith("curl") for call in sandbox.calls())

    def test_an_older_version_is_upgraded_in_place(self, sandbox: Sandbox, fake_installer: Path) -> None:
        env = {**install_inputs("4.3.19"), **CREDENTIALS, "FAKE_DOWNLOAD": str(fake_installer),
               "DOCKER_INSPECT_IMAGE": "ghcr.io/coollabsio/coolify:4.3.8"}  # fmt: skip
        result = sandbox.run("install-coolify.sh", env)
        assert result.returncode == 0
        assert "installing 4.3.19" in result.stdout

    def test_an_installer_failure_fails_the_step(self, sandbox: Sandbox, fake_installer: Path) -> None:
        env = {
            **install_inputs("4.3.19"),
            **CREDENTIALS,
            "FAKE_DOWNLOAD": str(fake_installer),
            "FAKE_INSTALLER_EXIT": "7",
        }
        result = sandbox.run("install-coolify.sh", env)
        assert result.returncode == 1
        assert "error: the Coolify installer exited with 7" in result.stderr
        assert PASSWORD not in result.stdout + result.stderr

    @pytest.mark.parametrize("version", ["latest", "4.3"])
    def test_an_unpinned_version_is_refused(self, sandbox: Sandbox, version: str) -> None:
        result = sandbox.run("install-coolify.sh", {**install_inputs(version), **CREDENTIALS})
        assert result.returncode == 1
        assert f"error: COOLIFY_VERSION '{version}' is not pinned" in result.stderr
        assert sandbox.calls() == []


HEALTHY = {**install_inputs("4.3.19"), "DOCKER_INSPECT_IMAGE": "ghcr.io/coollabsio/coolify:4.3.19",
           "DOCKER_INSPECT_HEALTH": "healthy", "CURL_OK": "yes", "POLL_SECONDS": "0.1"}  # fmt: skip


class TestWaitForCoolify:
    def status(self, sandbox: Sandbox, text: str) -> None:
        path = sandbox.root / "data/coolify/source/.upgrade-status"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    @pytest.mark.parametrize("status", [None, "6|Upgrade complete|2026-11-25T10:00:00+00:00"])
    def test_ready_when_upgraded_healthy_and_answering(self, sandbox: Sandbox, status: str | None) -> None:
        if status:
            self.status(sandbox, status)
        result = sandbox.run("wait-for-coolify.sh", HEALTHY)
        assert result.returncode == 0, result.stderr
        assert "Coolify is ready" in result.stderr

    @pytest.mark.parametrize(
        ("status", "environment"),
        [
            ("3|Pulling Docker images|t", HEALTHY),
            (None, {**HEALTHY, "DOCKER_INSPECT_HEALTH": "starting"}),
            (None, {**HEALTHY, "DOCKER_INSPECT_IMAGE": "ghcr.io/coollabsio/coolify:4.3.8"}),
            (None, {**HEALTHY, "CURL_OK": "no"}),
        ],
        ids=["upgrade-running", "container-starting", "old-version-running", "endpoint-silent"],
    )
    def test_times_out_with_the_install_log(
        self, sandbox: Sandbox, status: str | None, environment: dict[str, str]
    ) -> None:
        if status:
            self.status(sandbox, status)
        log = sandbox.root / "data/coolify/source/installation-20261125-100000.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("step one\nERROR: something broke\n")
        result = sandbox.run("wait-for-coolify.sh", {**environment, "DEADLINE_SECONDS": "1"})
        assert result.returncode == 1
        assert f"last lines of {log}:" in result.stderr
        assert "ERROR: something broke" in result.stderr
        assert "error: Coolify was not ready within 1s (upgrade finished, container of 4.3.19 healthy" in result.stderr

    def test_a_failed_upgrade_fails_at_once(self, sandbox: Sandbox) -> None:
        self.status(sandbox, "error|Failed to pull ghcr.io/coollabsio/coolify:4.3.19|t")
        result = sandbox.run("wait-for-coolify.sh", {**HEALTHY, "DEADLINE_SECONDS": "60"})
        assert result.returncode == 1
        assert "error: Coolify's upgrade failed: Failed to pull ghcr.io/coollabsio/coolify:4.3.19" in result.stderr


class TestDirectPorts:
    def compose_calls(self, sandbox: Sandbox) -> list[str]:
        return [call for call in sandbox.calls() if call.startswith("docker compose")]

    def test_closing_installs_the_override_and_recreates_once(self, sandbox: Sandbox) -> None:
        inputs = direct_ports_inputs(close_direct_ports=True, version="4.3.19")
        assert sandbox.run("direct-ports.sh", inputs).returncode == 0
        override = (sandbox.root / CUSTOM).read_text()
        assert override == inputs["COMPOSE_OVERRIDE"]
        assert '"127.0.0.1:${APP_PORT:-8000}:8080"' in override
        assert self.compose_calls(sandbox) == [
            "docker compose --env-file .env -f docker-compose.yml -f docker-compose.prod.yml "
            "-f docker-compose.custom.yml up -d --remove-orphans"
        ]
        tree = sandbox.tree()
        second = sandbox.run("direct-ports.sh", inputs)
        assert second.returncode == 0
        assert sandbox.tree() == tree
        assert self.compose_calls(sandbox) == []
        assert "direct ports already on 127.0.0.1" in second.stderr

    def test_opening_removes_only_our_override(self, sandbox: Sandbox) -> None:
        assert sandbox.run("direct-ports.sh", direct_ports_inputs(True, "4.3.19")).returncode == 0
        result = sandbox.run("direct-ports.sh", direct_ports_inputs(False, "4.3.19"))
        assert result.returncode == 0
        assert not (sandbox.root / CUSTOM).exists()
        assert self.compose_calls(sandbox) == [
            "docker compose --env-file .env -f docker-compose.yml -f docker-compose.prod.yml up -d --remove-orphans"
        ]
        again = sandbox.run("direct-ports.sh", direct_ports_inputs(False, "4.3.19"))
        assert "direct ports already published" in again.stderr
        assert self.compose_calls(sandbox) == []

    def test_a_foreign_override_is_never_clobbered(self, sandbox: Sandbox) -> None:
        custom = sandbox.root / CUSTOM
        custom.parent.mkdir(parents=True)
        custom.write_text("services: {coolify: {environment: [A=b]}}\n")
        result = sandbox.run("direct-ports.sh", direct_ports_inputs(True, "4.3.19"))
        assert result.returncode == 1
        assert "is not ours; merge its port bindings by hand" in result.stderr
        assert custom.read_text() == "services: {coolify: {environment: [A=b]}}\n"
