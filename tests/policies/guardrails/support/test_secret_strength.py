"""Why a secret is weak, said without quoting it."""

from policies.guardrails.support.secret_strength import weakness


def test_reasons_never_quote_the_value() -> None:
    for value in ("changeme", "q7#", "aaaaaaaaaaaaaaaa", "appuser"):
        reason = weakness(value, user_names=["appuser"])
        assert reason is not None and value not in reason
