"""The app names' wildcard certificate for workers behind the load balancer: the token, the push key, the
steps on every worker and on the main server, and when there is none."""

import json
from typing import Any

import pytest

from components.certificates import DNS_WRITE, ZONE_READ, Certificates, CertificatesArgs
from preview.engine import RecordedStack
from preview.mocks import FAKE_ACCOUNT_ID, FAKE_HOST_KEY, FAKE_ZONE_ID
from preview.values import Secret
from stack_config import StackConfig
from tests.components.conftest import naming, record_components, running_coolify, workers

STEP = "command:remote:Command"


def build(config: StackConfig) -> None:
    main, installed = running_coolify(config)
    assert config.domain is not None
    on_workers = workers(config, main, installed)
    args = CertificatesArgs(
        config.dns, config.domain, config.coolify.admin_email, main, on_workers, naming(config), [installed.ready]
    )
    Certificates("certificates", args)


def record(count: int = 3, **changes: Any) -> RecordedStack:
    return record_components(build, "production", {"workers": {"count": count}, **changes})


def test_the_token_may_write_dns_records_of_this_zone_only() -> None:
    (token,) = record().of_type("cloudflare:index/accountToken:AccountToken")
    assert token.inputs["accountId"] == FAKE_ACCOUNT_ID
    assert token.inputs["name"] == "hetzner-coolify-production-certificates"
    (policy,) = token.inputs["policies"]
    assert policy["effect"] == "allow"
    assert {group["id"] for group in policy["permissionGroups"]} == {DNS_WRITE, ZONE_READ}
    assert json.loads(policy["resources"]) == {f"com.cloudflare.api.account.zone.{FAKE_ZONE_ID}": "*"}
    assert "value" in token.additional_secret_outputs


def test_every_worker_accepts_the_push_key_after_its_hardening() -> None:
    recording = record(3)
    push_key = recording.named("certificates-push-key")
    assert push_key.inputs["algorithm"] == "ED25519"
    for index in (1, 2, 3):
        accept = recording.named(f"certificates-{index}-accept")
        assert recording.named(f"workers-{index}-harden-host").urn in accept.dependencies
        assert "PUSH_KEY='ssh-ed25519 " in accept.inputs["create"]
        assert "environment" not in accept.inputs


def test_the_main_server_issues_after_every_worker_accepts_and_coolify_runs() -> None:
    recording = record(3)
    install = recording.named("certificates-install")
    expected = [recording.named(f"certificates-{index}-accept").urn for index in (1, 2, 3)]
    assert set(expected) <= set(install.dependencies)
    assert recording.named("coolify-direct-ports").urn in install.dependencies
    main_server = recording.named("host-harden-host").inputs["connection"].value["host"]
    assert install.inputs["connection"].value["host"] == main_server
    create = install.inputs["create"]
    assert 'DOMAINS="*.example.com example.com"' in create
    assert 'WORKER_IPS="10.0.1.10 10.0.1.11 10.0.1.12"' in create
    assert 'ACME_EMAIL="ops@example.com"' in create
    # Each worker's key as its own first contact recorded it (the mock answers every wait-for-ssh alike).
    known_hosts = "".join(f"10.0.1.{10 + index} {FAKE_HOST_KEY}\n" for index in range(3))
    assert f"WORKER_KNOWN_HOSTS='{known_hosts}'" in create
    for index in (1, 2, 3):
        assert recording.named(f"workers-{index}-wait-for-ssh").urn in install.property_dependencies["create"]
    environment = install.inputs["environment"]
    assert isinstance(environment, Secret)
    assert set(environment.value) == {"CLOUDFLARE_DNS_API_TOKEN", "CERTIFICATE_PUSH_KEY"}
    assert "environment" in install.additional_secret_outputs


@pytest.mark.parametrize(("stack", "base"), [("production", "example.com"), ("staging", "staging.example.com")])
def test_the_certificate_covers_the_name_space_and_its_wildcard(stack: str, base: str) -> None:
    recording = record_components(build, stack, {"workers": {"count": 2}})
    assert f'DOMAINS="*.{base} {base}"' in recording.named("certificates-install").inputs["create"]


def test_a_configured_zone_id_is_looked_up_by_id() -> None:
    recording = record(2, dns={"zoneId": "1234567890abcdef1234567890abcdef"})
    (token,) = recording.of_type("cloudflare:index/accountToken:AccountToken")
    assert "1234567890abcdef1234567890abcdef" in token.inputs["policies"][0]["resources"]
