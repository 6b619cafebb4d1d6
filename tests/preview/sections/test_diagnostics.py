"""The program's warnings: as `pulumi preview` shows them, or one line each under what they are for."""

from preview.engine import RecordedStack
from preview.sections.diagnostics import Diagnostics

WARNED = RecordedStack("p", "dev", (), (), warnings=("p:domain: 'example.com' is an example", "p:email: too"))


def test_the_full_report_shows_diagnostics_as_pulumi_does() -> None:
    assert Diagnostics().render(WARNED).lines == [
        "Diagnostics:",
        "  pulumi:pulumi:Stack (p-dev):",
        "    warning: p:domain: 'example.com' is an example",
        "    warning: p:email: too",
    ]


def test_the_compact_report_says_they_come_before_pulumi_up() -> None:
    assert Diagnostics(compact=True).render(WARNED).lines == [
        "Before `pulumi up`:",
        "  ⚠ p:domain: 'example.com' is an example",
        "  ⚠ p:email: too",
    ]


def test_no_warning_no_section() -> None:
    assert Diagnostics(compact=True).render(RecordedStack("p", "dev", (), ())).lines == []
