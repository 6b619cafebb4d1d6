"""The wildcard certificate's scripts: accepting the push key on a worker, receiving the certificate there, the
job that issues it on the main server and hands it over, and installing that job."""

import subprocess
from pathlib import Path

import pytest

from components.certificates import certificate_domains
from components.server_scripts import server_script, template_text
from components.templates import environment_file
from stack_config.dns import DnsSettings
from tests.components.scripts.conftest import Sandbox
from tests.sshd import SshServer

PUSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKmLz3kqz8r5mQeF1hC0Tq9mT0dX6uYv8sJ2wN4pR7bY"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7"
RECEIVER = "/usr/local/sbin/receive-wildcard-certificate"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for *.example.com and its key, as files."""
    directory = tmp_path_factory.mktemp("certificate")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=*.example.com", "-addext", "subjectAltName=DNS:*.example.com,DNS:example.com",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return directory / "cert.pem", directory / "key.pem"


def accept_inputs(key: str = PUSH_KEY) -> dict[str, str]:
    return {
        "PUSH_KEY": key,
        "RECEIVER": server_script("receive-certificate.sh").text,
        "TRAEFIK_CONFIG": template_text("traefik-wildcard-certificate.yml"),
    }


class TestAccept:
    def test_authorizes_the_key_for_the_receiver_only_and_converges(self, sandbox: Sandbox) -> None:
        keys = sandbox.root / "root/.ssh/authorized_keys"
        keys.parent.mkdir(parents=True)
        keys.write_text(f"{OTHER_KEY} admin\n")
        result = sandbox.run("accept-certificates.sh", accept_inputs())
        assert result.returncode == 0, result.stderr
        assert keys.read_text().splitlines() == [f"{OTHER_KEY} admin", f'restrict,command="{RECEIVER}" {PUSH_KEY}']
        # Coolify's installer deletes every line of this file with the word in it (see harden-host.sh).
        assert "coolify" not in keys.read_text()
        assert (sandbox.root / RECEIVER.lstrip("/")).read_text() == server_script("receive-certificate.sh").text
        tree = sandbox.tree()
        again = sandbox.run("accept-certificates.sh", accept_inputs())
        assert "(0 files changed)" in again.stderr
        assert sandbox.tree() == tree

    def test_a_new_key_replaces_the_earlier_one(self, sandbox: Sandbox) -> None:
        assert sandbox.run("accept-certificates.sh", accept_inputs()).returncode == 0
        assert sandbox.run("accept-certificates.sh", accept_inputs(OTHER_KEY)).returncode == 0
        lines = (sandbox.root / "root/.ssh/authorized_keys").read_text().splitlines()
        assert lines == [f'restrict,command="{RECEIVER}" {OTHER_KEY}']

    def test_what_is_not_an_ed25519_public_key_is_refused(self, sandbox: Sandbox) -> None:
        result = sandbox.run("accept-certificates.sh", accept_inputs(f"{PUSH_KEY}\nssh-rsa AAAAinjected"))
        assert result.returncode == 1
        assert "error: PUSH_KEY is not an ssh-ed25519 public key" in result.stderr
        assert not (sandbox.root / "root/.ssh/authorized_keys").exists()


def receive(sandbox: Sandbox, bundle: bytes) -> subprocess.CompletedProcess[bytes]:
    template = sandbox.root / "etc/wildcard-certificate/traefik.yml"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(template_text("traefik-wildcard-certificate.yml"))
    return subprocess.run(
        ["bash", "-c", server_script("receive-certificate.sh").text], input=bundle, capture_output=True, check=False,
        env={"PATH": "/usr/bin:/bin", "TARGET_ROOT": str(sandbox.root)},
    )  # fmt: skip


class TestReceive:
    def test_installs_the_certificate_and_tells_traefik_once(
        self, sandbox: Sandbox, certificate: tuple[Path, Path]
    ) -> None:
        chain, key = certificate
        bundle = chain.read_bytes() + key.read_bytes()
        result = receive(sandbox, bundle)
        assert result.returncode == 0, result.stderr
        certificates = sandbox.root / "data/coolify/proxy/certs"
        assert (certificates / "wildcard.crt").read_text() == chain.read_text()
        assert oct((certificates / "wildcard.key").stat().st_mode & 0o777) == "0o600"
        dynamic = (sandbox.root / "data/coolify/proxy/dynamic/wildcard-certificate.yaml").read_text()
        assert dynamic.startswith("# certificate ") and "certFile: /traefik/certs/wildcard.crt" in dynamic
        tree = sandbox.tree()
        again = receive(sandbox, bundle)
        assert b"is installed already" in again.stderr
        assert sandbox.tree() == tree

    def test_a_key_of_another_certificate_is_refused(self, sandbox: Sandbox, certificate: tuple[Path, Path]) -> None:
        other = sandbox.root.parent / "other.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(other)], check=True)
        result = receive(sandbox, certificate[0].read_bytes() + other.read_bytes())
        assert result.returncode == 1
        assert b"the private key does not belong to the certificate" in result.stderr
        assert not (sandbox.root / "data/coolify/proxy/certs/wildcard.crt").exists()

    def test_anything_else_is_refused(self, sandbox: Sandbox) -> None:
        result = receive(sandbox, b"rm -rf /\n")
        assert result.returncode == 1
        assert b"expected a certificate chain and its private key on stdin" in result.stderr


def test_the_push_key_runs_the_receiver_whatever_command_it_asks_for(
    ssh_server: SshServer, sandbox: Sandbox, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    """A real sshd with the line accept-certificates.sh writes: the forced command, not the client's."""
    receiver = tmp_path / "receiver"
    template = sandbox.root / "etc/wildcard-certificate/traefik.yml"
    template.parent.mkdir(parents=True)
    template.write_text(template_text("traefik-wildcard-certificate.yml"))
    (tmp_path / "receive.sh").write_text(server_script("receive-certificate.sh").text)
    receiver.write_text(f"#!/bin/bash\nTARGET_ROOT={sandbox.root} exec bash {tmp_path / 'receive.sh'}\n")
    receiver.chmod(0o755)
    public = (ssh_server.directory / "client_key.pub").read_text().split()
    (ssh_server.directory / "authorized_keys").write_text(f'restrict,command="{receiver}" {public[0]} {public[1]}\n')
    ssh_server.start()
    ssh = ["ssh", "-p", str(ssh_server.port), "-i", str(ssh_server.directory / "client_key"), "-o", "BatchMode=yes",
           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
           f"{ssh_server.user}@127.0.0.1"]  # fmt: skip
    asked = subprocess.run([*ssh, "touch", str(tmp_path / "ran")], input=b"", capture_output=True, check=False)
    assert asked.returncode == 1 and b"expected a certificate chain" in asked.stderr
    assert not (tmp_path / "ran").exists()
    chain, key = certificate
    pushed = subprocess.run(ssh, input=chain.read_bytes() + key.read_bytes(), capture_output=True, check=False)
    assert pushed.returncode == 0, pushed.stderr
    assert (sandbox.root / "data/coolify/proxy/certs/wildcard.crt").read_text() == chain.read_text()


def job_environment(sandbox: Sandbox, certificate: tuple[Path, Path], **extra: str) -> dict[str, str]:
    credentials = sandbox.root.parent / "credentials"
    credentials.mkdir(exist_ok=True)
    (credentials / "cloudflare-dns-api-token").write_text("dns-token")
    (credentials / "certificate-push-key").write_text("push-key")
    return {"DOMAINS": "*.example.com example.com", "ACME_EMAIL": "ops@acme-apps.eu",
            "WORKER_IPS": "10.0.1.10 10.0.1.11", "CREDENTIALS_DIRECTORY": str(credentials),
            "FAKE_CERTIFICATE": str(certificate[0]), "FAKE_KEY": str(certificate[1]), **extra}  # fmt: skip


class TestJob:
    def test_issues_once_then_renews_and_hands_the_certificate_to_every_worker(
        self, sandbox: Sandbox, certificate: tuple[Path, Path]
    ) -> None:
        result = sandbox.run("certificates.sh", job_environment(sandbox, certificate))
        assert result.returncode == 0, result.stderr
        (issue,) = [call for call in sandbox.calls() if call.startswith("lego")]
        assert issue.endswith(" run")
        assert "--dns cloudflare" in issue and "--domains *.example.com --domains example.com" in issue
        bundle = certificate[0].read_bytes() + certificate[1].read_bytes()
        for worker in ("10.0.1.10", "10.0.1.11"):
            assert (sandbox.root / "pushed" / f"root@{worker}").read_bytes() == bundle
        again = sandbox.run("certificates.sh", job_environment(sandbox, certificate))
        assert again.returncode == 0
        (renewal,) = [call for call in sandbox.calls() if call.startswith("lego")]
        assert renewal.endswith(" renew --days 30")

    def test_hands_the_certificate_only_to_the_host_keys_recorded_for_the_workers(
        self, sandbox: Sandbox, certificate: tuple[Path, Path]
    ) -> None:
        assert sandbox.run("certificates.sh", job_environment(sandbox, certificate)).returncode == 0
        pushes = [call for call in sandbox.calls() if call.startswith("ssh ")]
        assert len(pushes) == 2
        known_hosts = sandbox.root / "etc/hetzner-coolify/worker-known-hosts"
        for push in pushes:
            assert (
                f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null "
                "-o HostKeyAlgorithms=ssh-ed25519" in push
            )

    def test_a_worker_that_cannot_be_reached_fails_the_run_after_the_others(
        self, sandbox: Sandbox, certificate: tuple[Path, Path]
    ) -> None:
        result = sandbox.run("certificates.sh", job_environment(sandbox, certificate, SSH_UNREACHABLE="10.0.1.10"))
        assert result.returncode == 1
        assert "error: could not hand the certificate to 10.0.1.10" in result.stderr
        assert (sandbox.root / "pushed/root@10.0.1.11").exists()

    def test_a_refused_challenge_fails_the_run_before_any_push(
        self, sandbox: Sandbox, certificate: tuple[Path, Path]
    ) -> None:
        result = sandbox.run("certificates.sh", job_environment(sandbox, certificate, LEGO_FAIL="403 unauthorized"))
        assert result.returncode != 0
        assert not (sandbox.root / "pushed").exists()


WORKER_KNOWN_HOSTS = "10.0.1.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIWorkerHostKeyOnlyForTestsxxxxxxxxxxxxxxxxx\n"


def install_inputs() -> dict[str, str]:
    settings = {"DOMAINS": " ".join(certificate_domains(DnsSettings(namespace=""), "example.com")),
                "ACME_EMAIL": "ops@acme-apps.eu", "WORKER_IPS": "10.0.1.10"}  # fmt: skip
    return {
        "CERTIFICATES_SCRIPT": server_script("certificates.sh").text,
        "CERTIFICATES_ENV": environment_file(settings),
        "CERTIFICATES_SERVICE": template_text("hetzner-coolify-certificates.service"),
        "CERTIFICATES_TIMER": template_text("hetzner-coolify-certificates.timer"),
        "WORKER_KNOWN_HOSTS": WORKER_KNOWN_HOSTS,
        "CLOUDFLARE_DNS_API_TOKEN": "dns-token",
        "CERTIFICATE_PUSH_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----\n",
    }


class TestInstall:
    def test_installs_the_job_runs_it_once_and_converges(self, sandbox: Sandbox) -> None:
        result = sandbox.run("install-certificates.sh", install_inputs())
        assert result.returncode == 0, result.stderr
        credentials = sandbox.root / "etc/hetzner-coolify/credentials"
        assert (credentials / "certificate-push-key").read_text() == install_inputs()["CERTIFICATE_PUSH_KEY"]
        assert oct((credentials / "cloudflare-dns-api-token").stat().st_mode & 0o777) == "0o600"
        assert (
            'DOMAINS="*.example.com example.com"' in (sandbox.root / "etc/hetzner-coolify/certificates.env").read_text()
        )
        assert (sandbox.root / "etc/hetzner-coolify/worker-known-hosts").read_text() == WORKER_KNOWN_HOSTS
        calls = sandbox.calls()
        assert any(call.startswith("apt-get") and " lego " in f"{call} " for call in calls)
        assert "systemctl enable hetzner-coolify-certificates.timer" in calls
        assert "systemctl start hetzner-coolify-certificates.service" in calls
        tree = sandbox.tree()
        again = sandbox.run("install-certificates.sh", install_inputs())
        assert "(0 files changed)" in again.stderr
        assert sandbox.tree() == tree
        assert "dns-token" not in result.stdout + result.stderr

    def test_a_failed_first_run_fails_the_step_with_the_jobs_journal(self, sandbox: Sandbox) -> None:
        environment = {**install_inputs(), "SYSTEMCTL_FAIL_START": "hetzner-coolify-certificates.service",
                       "FAKE_JOURNAL": "lego: 403 unauthorized"}  # fmt: skip
        result = sandbox.run("install-certificates.sh", environment)
        assert result.returncode == 1
        assert "lego: 403 unauthorized" in result.stderr
        assert "error: the wildcard certificate could not be issued or handed to every worker" in result.stderr
