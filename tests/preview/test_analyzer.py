"""What the offline engine sends to a policy pack, compared with what the real engine sends."""

from collections.abc import Callable

from google.protobuf import json_format

from preview.analyzer import Diagnostic, analyzer_resources, default_providers, wire_value
from preview.engine import RecordedStack
from preview.stack_files import secret_placeholder
from preview.values import SECRET_SIGNATURE, SIGNATURE_KEY, UNKNOWN, UNKNOWN_SENTINEL, Secret

Recorded = Callable[[str, str], RecordedStack]


def test_secrets_travel_in_envelopes_and_unknowns_as_the_sentinel() -> None:
    assert wire_value({"a": Secret("x"), "b": [UNKNOWN, 1]}) == {
        "a": {SIGNATURE_KEY: SECRET_SIGNATURE, "value": "x"},
        "b": [UNKNOWN_SENTINEL, 1],
    }


def test_undecryptable_config_secrets_travel_as_unknowns() -> None:
    placeholder = secret_placeholder("hcloud:token")
    assert wire_value(placeholder) == UNKNOWN_SENTINEL
    assert wire_value(f"postgres://u:{placeholder}@h/db") == UNKNOWN_SENTINEL


def test_default_providers_are_added_per_package_with_their_config(recorded: Recorded) -> None:
    providers = default_providers(recorded("staging", "plan"), {"hcloud:token": "t", "cloudflare:apiToken": "c"})
    assert [(provider.type, provider.inputs) for provider in providers] == [
        ("pulumi:providers:cloudflare", {"apiToken": "c"}),
        ("pulumi:providers:command", {}),
        ("pulumi:providers:hcloud", {"token": "t"}),
        ("pulumi:providers:random", {}),
        ("pulumi:providers:tls", {}),
    ]


def test_each_resource_carries_its_options_and_provider(recorded: Recorded) -> None:
    recording = recorded("production", "plan")
    messages = {message.name: message for message in analyzer_resources(recording, {})}
    server = messages["host-server"]
    assert server.options.protect is True
    assert list(server.options.ignoreChanges) == ["userData", "sshKeys", "image"]
    assert server.provider.type == "pulumi:providers:hcloud"
    assert json_format.MessageToDict(server.properties)["serverType"] == "cx43"
    assert messages["host-deploy-key"].options.additionalSecretOutputs == [
        "privateKeyOpenssh",
        "privateKeyPem",
        "privateKeyPemPkcs8",
    ]
    attachment = messages["host-firewall-attachment"]
    assert list(attachment.propertyDependencies["firewallId"].urns) == [recording.named("host-firewall").urn]
    assert list(server.propertyDependencies["firewallIds"].urns) == [recording.named("host-firewall").urn]


def test_diagnostic_detail_and_resource_label() -> None:
    item = Diagnostic(
        policy="p",
        level="mandatory",
        urn="urn:pulumi:s::p::hetzner-coolify:host:Host$hcloud:index/server:Server::host-server",
        description="Rule.",
        message="Rule.\nwhat went wrong",
    )
    assert item.detail == "what went wrong"
    assert item.resource == "hcloud:index/server:Server: host-server"
