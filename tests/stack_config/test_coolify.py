"""The `coolify` section: what is refused, in one line that names the key."""

from typing import Any

from tests.stack_config.conftest import bad_values, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    (
        "staging",
        {"coolify": {"version": "latest"}},
        "hetzner-coolify:coolify.version: 'latest' is not a pinned release; expected e.g. 4.3.19 or 4.0.0-beta.474",
    ),
    (
        "staging",
        {"coolify": {"closeDirectPorts": "sometimes"}},
        "hetzner-coolify:coolify.closeDirectPorts: 'sometimes' is invalid; input should be a valid boolean, unable to "
        "interpret input",
    ),
    ("staging", {"coolify": {"adminEmail": "ops-at-example"}},
     "hetzner-coolify:coolify.adminEmail: 'ops-at-example' is not an email address"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]
