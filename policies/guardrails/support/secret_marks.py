"""Which inputs the engine sent as secrets, for the resource being analyzed.

The engine sends every secret input to the pack wrapped in a secret envelope: `Analyze` marshals the
properties with KeepSecrets (pulumi/pulumi@v3.259.0:pkg/resource/plugin/analyzer_plugin.go:301-307,
rpc.go:233-250). pulumi-policy unwraps the envelopes before any policy sees the properties and keeps no trace
of them (pulumi/pulumi-policy@v1.21.0:sdk/python/lib/pulumi_policy/deserialize.py:65-72; upstream issue
pulumi/pulumi-policy#241). Its servicer class is looked up when the pack is built (policy.py:118), so the pack
installs a servicer that keeps the request's raw properties for the thread that runs the policies
(policy.py:130-131, 971-1011) before building the pack. Pinned: pulumi-policy==1.21.0 (private API).
Resource policies only: AnalyzeStack is not covered, so a stack policy asking raises.
"""

import threading
from collections.abc import Sequence
from typing import Any

from google.protobuf import struct_pb2
from pulumi_policy import policy as pulumi_policy_servicer

SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"

_request = threading.local()


class _MarkKeepingServicer(pulumi_policy_servicer._PolicyAnalyzerServicer):
    def Analyze(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method's name
        _request.properties = request.properties
        try:
            return super().Analyze(request, context)  # type: ignore[no-untyped-call]
        finally:
            _request.properties = None


def keep_secret_marks() -> None:
    """Before the pack is built: let the policies ask which inputs arrived as secrets."""
    pulumi_policy_servicer._PolicyAnalyzerServicer = _MarkKeepingServicer  # type: ignore[misc]


def _is_envelope(value: struct_pb2.Value) -> bool:
    if value.WhichOneof("kind") != "struct_value":
        return False
    signature = value.struct_value.fields.get(SIGNATURE_KEY)
    return signature is not None and signature.string_value == SECRET_SIGNATURE


def _step(value: struct_pb2.Value, step: str | int) -> struct_pb2.Value | None:
    kind = value.WhichOneof("kind")
    if kind == "struct_value" and isinstance(step, str):
        return value.struct_value.fields.get(step)
    if kind == "list_value" and isinstance(step, int) and step < len(value.list_value.values):
        return value.list_value.values[step]
    return None


def is_secret(path: Sequence[str | int]) -> bool:
    """Whether the input at `path` (('envs', 1), ('environment', 'TOKEN')) arrived as a secret, or inside one."""
    properties: struct_pb2.Struct | None = getattr(_request, "properties", None)
    if properties is None:
        raise RuntimeError("secret marks are only kept inside Analyze; build the pack after keep_secret_marks()")
    if not path or not isinstance(path[0], str) or path[0] not in properties.fields:
        return False
    node: struct_pb2.Value | None = properties.fields[path[0]]
    for step in path[1:]:
        if node is None or _is_envelope(node):
            break
        node = _step(node, step)
    return node is not None and _is_envelope(node)
