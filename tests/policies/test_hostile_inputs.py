"""No input makes a rule slow: 200 kB to 1 MB of text shaped to make backtracking patterns blow up (nested or
overlapping quantifiers, a long scan restarted from every occurrence of a word) is judged in under a second, by
each text-reading function directly and by every rule of the pack through the Analyzer protocol."""

import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from policies.guardrails.rules.docker_image_disallow_unpinned_tags import FLOATING_TAGS, image_problem
from policies.guardrails.rules.hetzner_server_disallow_password_logins import script_problems, user_data_problems
from policies.guardrails.rules.hetzner_server_enable_cloud_firewall import selector_matches
from policies.guardrails.rules.installers_disallow_unverified_pipe_to_shell import piped_downloads
from policies.guardrails.support.containers import CONTAINER
from policies.guardrails.support.secret_inputs import (
    REMOTE_COMMAND,
    env_reference,
    is_public_key,
    is_secret_name,
    secret_inputs,
)
from policies.guardrails.support.secret_strength import weakness
from preview.analyzer import PolicyPackProcess, analyzer_resources
from preview.strict_yaml import StackFileError, load_yaml
from preview.values import format_value
from stack_config.calendar import parse_schedule
from stack_config.screening import refused_character
from stack_config.sensitive import looks_like_secret, private_material
from stack_config.ssh_keys import validate_public_key
from tests.policies.conftest import Resource, stack_of

SECOND = 1.0


def repeated(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def hostile(size: int) -> dict[str, str]:
    """Texts that made the pack's patterns backtrack before they were rewritten, and more of their kind."""
    return {
        "curl-words": repeated("curl ", size),
        "curl-fetches": repeated("curl http://x ", size) + "| bash",
        "fetches-in-stages": repeated("curl http://x | ", size) + "bash",
        "sudo-options": "curl http://x | sudo " + repeated("-u ", size),
        "sudo-words": repeated("sudo -u ", size) + " curl http://x",
        "shell-words": repeated("bash ", size) + "<(curl http://x",
        "substitutions": repeated("x $(curl http://x) ", size),
        "passwd-words": repeated("passwd ", size),
        "usermod-words": repeated("usermod ", size),
        "white-space": "k" + repeated(" ", size) + "x",
        "commas": repeated(",", size) + "(",
        "letters-no-scheme": repeated("a", size) + "://",
        "broken-ipv6-url": "x://" + repeated("[", size),
        "assignments": repeated("A=", size),
        "password-flags": repeated("--password ", size),
        "templates": repeated("${", size),
        "pem-headers": repeated("-----BEGIN ", size),
        "base64": repeated("AAAA", size),
        "tabs-and-newlines": repeated("\t\n", size),
        "cloud-config": "#cloud-config\nruncmd:\n  - " + repeated("passwd ", size),
    }


FUNCTIONS: dict[str, Callable[[str], Any]] = {
    "piped_downloads": piped_downloads,
    "script_problems": script_problems,
    "user_data_problems": user_data_problems,
    "selector_matches": lambda text: selector_matches(text, {"a": "b"}),
    "image_problem": lambda text: (image_problem(text, FLOATING_TAGS), image_problem(f"x:{text}", FLOATING_TAGS)),
    "secret_inputs(command)": lambda text: secret_inputs(
        REMOTE_COMMAND, {"create": text, "stdin": text, "environment": {"PASSWORD": text}}
    ),
    "secret_inputs(container)": lambda text: secret_inputs(
        CONTAINER, {"envs": [f"PASSWORD={text}", text], "command": ["sh", "-c", text], "image": text}
    ),
    "is_secret_name": is_secret_name.__wrapped__,  # uncached
    "weakness": weakness,
    "env_reference": env_reference,
    "is_public_key": is_public_key,
    "format_value": format_value,
    "private_material": private_material,
    "looks_like_secret": looks_like_secret,
    "refused_character": refused_character,
    "parse_schedule": parse_schedule,
    "validate_public_key": lambda text: validate_public_key(f"ssh-ed25519 {text}"),
    "load_yaml": lambda text: load_yaml(f"a: {text[: 200 * 1024]}", "hostile.yaml"),
}
HOSTILE_1MB = hostile(1024 * 1024)


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    with contextlib.suppress(ValueError, StackFileError):  # refusing is an answer; only the time counts here
        call()
    return time.perf_counter() - started


@pytest.mark.timeout(120)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_text_function_takes_under_a_second_on_a_megabyte(function: str) -> None:
    judge = FUNCTIONS[function]
    slow = {name: seconds for name, text in HOSTILE_1MB.items() if (seconds := timed(partial(judge, text))) >= SECOND}
    assert slow == {}


def hostile_stack(text: str) -> list[Resource]:
    """A resource of every type a rule reads, every string property of it the hostile text."""
    return [
        Resource("hcloud:index/server:Server", {"userData": text, "name": text, "labels": {"role": text},
                                                "image": text, "serverType": text}, name="server"),
        Resource("command:remote:Command", {"create": text, "stdin": text, "environment": {"PASSWORD": text}},
                 name="remote"),
        Resource("command:local:Command", {"create": text, "environment": {"TOKEN": text}}, name="local"),
        Resource("docker:index/container:Container", {"image": text, "name": text, "envs": [f"PASSWORD={text}"],
                                                      "command": ["sh", "-c", text],
                                                      "ports": [{"internal": 5432, "ip": text}]}, name="container"),
        Resource("docker:index/remoteImage:RemoteImage", {"name": text}, name="image"),
        Resource("hcloud:index/firewall:Firewall", {"name": "fw", "rules": [
            {"direction": "in", "protocol": "tcp", "port": text, "sourceIps": [text]}],
            "applyTos": [{"labelSelector": text}]}, name="firewall"),
        Resource("cloudflare:index/dnsRecord:DnsRecord", {"content": text, "name": text, "type": "A"}, name="record"),
        Resource("pulumi:providers:docker", {"host": text, "registryAuth": [{"password": text}]}, name="docker"),
    ]  # fmt: skip


@pytest.mark.timeout(300)
@pytest.mark.parametrize("shape", list(hostile(16)))
def test_every_rule_of_the_pack_takes_under_a_second_on_hostile_inputs(
    pack: PolicyPackProcess, settings: Any, shape: str
) -> None:
    pack.configure(settings({}), "production", "hetzner-coolify")
    messages = analyzer_resources(stack_of(*hostile_stack(hostile(200 * 1024)[shape])), {})
    assert timed(lambda: pack.analyze(messages)) < SECOND * len(messages)
    assert timed(lambda: pack.analyze_stack(messages)) < SECOND
