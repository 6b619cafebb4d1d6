"""Values as the report shows them: secrets masked, unknowns named, long text shortened."""

from preview.values import UNKNOWN, Secret, format_value


def test_values_are_masked_named_and_shortened() -> None:
    assert format_value(Secret("hunter2")) == "[secret]"
    assert format_value({"a": Secret("x"), "b": UNKNOWN}) == "{a: [secret], b: <known after apply>}"
    assert format_value("line one\nline two\n") == '"line one" … (2 lines)'
    assert format_value("x" * 100) == f'"{"x" * 72}" … (100 chars)'
    assert format_value([True, None, 5]) == "[true, null, 5]"
