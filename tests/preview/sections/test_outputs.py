"""The stack's outputs: every value in the full report; known values, then the hidden ones by name, in the compact."""

from preview.engine import RecordedStack
from preview.sections.outputs import StackOutputs
from preview.values import UNKNOWN, Secret

OUTPUTS = {
    "environment": "staging",
    "serverId": UNKNOWN,
    "deployPrivateKey": Secret("-----BEGIN"),
    "hostnames": {"www": "www.example.org"},
    "ipv4Address": UNKNOWN,
    "notes": "n" * 200,
}
RECORDING = RecordedStack("p", "dev", (), (), OUTPUTS)


def test_the_full_report_shows_every_output() -> None:
    lines = StackOutputs().render(RECORDING).lines
    assert lines[:4] == [
        "Outputs:",
        '    environment:      "staging"',
        "    serverId:         <known after apply>",
        "    deployPrivateKey: [secret]",
    ]
    assert len(lines) == 1 + len(OUTPUTS)


def test_the_compact_report_names_hidden_outputs_together() -> None:
    lines = StackOutputs(compact=True).render(RECORDING).lines
    assert lines[:3] == [
        "Outputs:",
        '    environment:         "staging"',
        '    hostnames:           {www: "www.example.org"}',
    ]
    assert lines[3].startswith('    notes:               "nnnn') and lines[3].endswith("…") and len(lines[3]) == 110
    assert lines[4:] == [
        "    <known after apply>: serverId, ipv4Address",
        "    [secret]:            deployPrivateKey",
    ]


def test_no_outputs_no_section() -> None:
    assert StackOutputs(compact=True).render(RecordedStack("p", "dev", (), ())).lines == []
