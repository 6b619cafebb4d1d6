"""The `coolify` section: what is refused, in one line that names the key."""

from typing import Any

import pytest

from tests.stack_config.conftest import bad_values, load, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    (
        "staging",
        {"coolify": {"version": "latest"}},
        "hetzner-coolify:coolify.version: 'latest' is not a pinned release; expected e.g. 4.7.7 or 4.0.0-beta.474",
    ),
    (
        "staging",
        {"coolify": {"closeDirectPorts": "sometimes"}},
        "hetzner-coolify:coolify.closeDirectPorts: 'sometimes' is not a boolean; allowed: true or false",
    ),
    *(("staging", {"coolify": {"adminEmail": email}},
       f"hetzner-coolify:coolify.adminEmail: {email!r} is not an email address Coolify's installer can carry; "
       "allowed: letters, digits and . _ % + - before the @, a domain name after it, at most 254 characters")
      for email in ("ops-at-example", "ops|x@example.org", "a&b@example.org", "back\\slash@example.org",
                    "semi;colon@example.org", "o p@example.org")),
    *(("staging", {"coolify": {"adminEmail": email}},
       f"hetzner-coolify:coolify.adminEmail: '{email[:80]}…' ({len(email)} characters) is not an email address "
       "Coolify's installer can carry; allowed: letters, digits and . _ % + - before the @, a domain name after it, "
       "at most 254 characters")
      for email in (f"{'o' * 70}@example.org", f"ops@{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 63}.org")),
    ("staging", {"coolify": {"adminEmail": "ops@example.org\n"}},
     "hetzner-coolify:coolify.adminEmail: contains U+000A (LINE FEED) at character 16; allowed: printable text on "
     "one line (a line break or control character could add a line to a file on the server)"),
    *(("staging", {"coolify": {"adminUsername": name}},
       f"hetzner-coolify:coolify.adminUsername: {name!r} is not a Coolify user name its installer can carry; "
       "allowed: 3-64 of letters, digits, '_' and '-'")
      for name in ("Root User", "ad", "admin|x", "admin$HOME")),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


@pytest.mark.parametrize(
    ("email", "example"),
    [("ops@example.com", True), ("ops@mail.example.org", True), ("ops@team.test", True),
     ("ops@my.localhost", True), ("ops@acme-apps.eu", False), ("ops@example.com.au", False),
     ("ops@notexample.com", False)],
)  # fmt: skip
def test_an_admin_email_on_a_domain_reserved_for_examples_is_an_example_value(email: str, example: bool) -> None:
    found = load("staging", {"coolify": {"adminEmail": email}}).example_values()
    assert ("coolify.adminEmail" in [key for key, _ in found]) is example
