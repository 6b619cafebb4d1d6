"""The project's `config:` declarations, applied as `pulumi preview` applies them (pulumi/pulumi@v3.259.0:
pkg/workspace/config.go:255-366; stack_config/project_schema.py has the facts)."""

from pathlib import Path

import pytest

from preview.config_declarations import StackConfigError, config_value_is_valid
from preview.stack_files import read_stack
from preview.strict_yaml import StackFileError


def declared(tmp_path: Path, declarations: str, stack_yaml: str) -> Path:
    """A project whose Pulumi.yaml declares `declarations` (the lines under `config:`), and a stack dev."""
    (tmp_path / "Pulumi.yaml").write_text(f"name: demo\nruntime: python\nconfig:\n{declarations}")
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    return tmp_path


def declared_refusal(tmp_path: Path, declarations: str, stack_yaml: str) -> str:
    with pytest.raises(StackFileError) as refused:
        read_stack(declared(tmp_path, declarations, stack_yaml), "dev")
    return str(refused.value)


def test_a_declared_default_is_given_to_a_stack_that_leaves_the_key_out(tmp_path: Path) -> None:
    settings = read_stack(
        declared(
            tmp_path,
            "  size:\n    type: integer\n    default: 3\n  server:\n    type: object\n    default: {}\n"
            "  tags:\n    type: array\n    items:\n      type: string\n    default: [a, b]\n"
            "  flag: true\n  name: x\n  aws:region: eu-west-1\n  hcloud:location:\n    value: nbg1\n",
            "config:\n  demo:name: mine\n  hcloud:location: fsn1\n",
        ),
        "dev",
    )
    assert settings.config == {
        "demo:name": "mine",
        "hcloud:location": "fsn1",
        "demo:size": "3",
        "demo:server": "{}",
        "demo:tags": '["a", "b"]',
        "demo:flag": "true",
        "aws:region": "eu-west-1",
    }
    assert settings.secret_keys == frozenset()


def test_both_spellings_of_a_project_key_are_the_same_key(tmp_path: Path) -> None:
    settings = read_stack(
        declared(tmp_path, "  demo:size:\n    default: 3\n  count:\n    type: integer\n", "config:\n  count: 2\n"),
        "dev",
    )
    assert settings.config == {"demo:count": "2", "demo:size": "3"}
    assert declared_refusal(tmp_path, "  name: a\n  demo:name: b\n", "config: {}\n") == (
        "Pulumi.yaml: config: demo:name is declared twice (as 'name' too)"
    )


def test_undeclared_keys_and_untyped_declarations_pass_as_they_are(tmp_path: Path) -> None:
    settings = read_stack(
        declared(
            tmp_path,
            "  name:\n    description: any value\n  token:\n    secret: true\n",
            "config:\n  demo:name: [1]\n  demo:token: clear\n  demo:other: {a: 1}\n",
        ),
        "dev",
    )
    assert settings.config == {"demo:name": "[1]", "demo:token": "clear", "demo:other": '{"a": 1}'}


@pytest.mark.parametrize(
    ("declarations", "stack_yaml", "expected"),
    [
        ("  count:\n    type: integer\n", "config: {}\n",
         "validating stack config: Stack 'dev' is missing configuration value 'count'"),
        ("  b:\n    type: string\n  a:\n    description: x\n  c: {}\n", "config: {}\n",
         "validating stack config: Stack 'dev' is missing configuration values 'a', 'b' and 'c'"),
        ("  count:\n    type: integer\n", "config:\n  demo:count: three\n",
         "validating stack config: Stack 'dev' with configuration key 'count' must be of type 'integer'"),
        ("  count:\n    type: integer\n", "config:\n  demo:count: 1.5\n",
         "validating stack config: Stack 'dev' with configuration key 'count' must be of type 'integer'"),
        ("  flag:\n    type: boolean\n", "config:\n  demo:flag: 'yes'\n",
         "validating stack config: Stack 'dev' with configuration key 'flag' must be of type 'boolean'"),
        ("  server:\n    type: object\n", "config:\n  demo:server: cx43\n",
         "validating stack config: Stack 'dev' with configuration key 'server' must be of type 'object'"),
        ("  server:\n    type: object\n", "config:\n  demo:server: '{\"type\": \"cx43\"}'\n",
         "validating stack config: Stack 'dev' with configuration key 'server' must be of type 'object'"),
        ("  server:\n    type: string\n", "config:\n  demo:server:\n    type: cx43\n",
         "validating stack config: Stack 'dev' with configuration key 'server' must be of type 'string'"),
        ("  cidrs:\n    type: array\n    items:\n      type: string\n", "config:\n  demo:cidrs: 10.0.0.0/8\n",
         "validating stack config: Stack 'dev' with configuration key 'cidrs' must be of type 'array<string>'"),
        ("  grid:\n    type: array\n    items:\n      type: array\n      items:\n        type: integer\n",
         "config:\n  demo:grid: [[1, 2], [3, x]]\n",
         "validating stack config: Stack 'dev' with configuration key 'grid' must be of type 'array<array<integer>>'"),
        ("  keys:\n    type: array\n    items:\n      type: object\n", "config:\n  demo:keys: [[alice]]\n",
         "validating stack config: Stack 'dev' with configuration key 'keys' must be of type 'array<object>'"),
        ("  token:\n    type: string\n    secret: true\n", "config:\n  demo:token: clear\n",
         "validating stack config: Stack 'dev' with configuration key 'token' must be encrypted as it's secret"),
        ("  token:\n    type: string\n    secret: true\n    default: x\n", "config: {}\n",
         "validating stack config: Stack 'dev' with configuration key 'token' must be encrypted as it's secret"),
        ("  a:\n    type: integer\n  b:\n    type: integer\n", "config:\n  demo:a: x\n  demo:b: y\n",
         "validating stack config: Stack 'dev' with configuration key 'a' must be of type 'integer'"),
    ],
    ids=["missing-one", "missing-several", "integer-text", "integer-fraction", "boolean-yes", "object-text",
         "object-as-json-text", "mapping-declared-string", "array-text", "nested-array", "array-of-objects",
         "secret-in-clear", "secret-default-in-clear", "first-in-key-order"],
)  # fmt: skip
def test_a_stack_against_the_declarations_is_refused_in_the_clis_words(
    tmp_path: Path, declarations: str, stack_yaml: str, expected: str
) -> None:
    with pytest.raises(StackConfigError) as refused:
        read_stack(declared(tmp_path, declarations, stack_yaml), "dev")
    assert str(refused.value) == expected


def test_what_each_type_accepts_as_the_cli_does(tmp_path: Path) -> None:
    declarations = (
        "  count:\n    type: integer\n  signed:\n    type: integer\n  flag:\n    type: boolean\n"
        "  text:\n    type: string\n  list:\n    type: array\n    items:\n      type: integer\n"
        "  flags:\n    type: array\n    items:\n      type: boolean\n  token:\n    type: integer\n    secret: true\n"
    )
    stack_yaml = (
        "config:\n  demo:count: '42'\n  demo:signed: -7\n  demo:flag: false\n  demo:text: 5\n"
        "  demo:list: [1, 2.0, '3']\n  demo:flags: [true, 'false']\n  demo:token:\n    secure: v1:abc\n"
    )
    settings = read_stack(declared(tmp_path, declarations, stack_yaml), "dev")
    assert settings.config["demo:text"] == "5"
    assert settings.secret_keys == {"demo:token"}


def test_a_secret_declaration_is_met_by_a_secure_value_nested_or_not(tmp_path: Path) -> None:
    settings = read_stack(
        declared(
            tmp_path,
            "  token:\n    type: string\n    secret: true\n  backup:\n    type: object\n    secret: true\n",
            "config:\n  demo:token:\n    secure: v1:abc\n  demo:backup:\n    key:\n      secure: v1:def\n",
        ),
        "dev",
    )
    assert settings.secret_keys == {"demo:token", "demo:backup"}


@pytest.mark.parametrize(
    ("declarations", "expected"),
    [
        ("  size:\n    type: integer\n    default: 3\n    value: 4\n",
         "Pulumi.yaml: project config 'size' cannot have both a 'default' and 'value' attribute"),
        ("  tags:\n    type: array\n",
         "Pulumi.yaml: The configuration key 'tags' declares an array but does not specify the underlying type via "
         "the 'items' attribute"),
        ("  size:\n    type: integer\n    default: large\n",
         "Pulumi.yaml: The default value specified for configuration key 'size' is not of the expected type "
         "'integer'"),
        ("  server:\n    type: string\n    default: {}\n",
         "Pulumi.yaml: The default value specified for configuration key 'server' is not of the expected type "
         "'string'"),
        ("  aws:region:\n    type: string\n",
         "Pulumi.yaml: Configuration key 'aws:region' is not namespaced by the project and should not define a type"),
        ("  aws:region:\n    default: eu-west-1\n",
         "Pulumi.yaml: Configuration key 'aws:region' is not namespaced by the project and should not define a "
         "default value. Did you mean to use the 'value' attribute instead of 'default'?"),
        ("  aws:region:\n    description: x\n",
         "Pulumi.yaml: Configuration key 'aws:region' is namespaced and must provide an attribute 'value'"),
        ("  size:\n    type: number\n",
         "Pulumi.yaml: config: 'size': type 'number' is not one of string, integer, boolean, array, object"),
        ("  size:\n    kind: integer\n",
         "Pulumi.yaml: config: 'size': 'kind' is not allowed; allowed: type, items, description, default, value, "
         "secret"),
        ("  size: 1.5\n",
         "Pulumi.yaml: config: 'size': is a number; allowed: a declaration (type, items, description, default, "
         "value, secret) or a string, integer, true/false or list as its default"),
        ("  tags:\n    type: array\n    items: string\n",
         "Pulumi.yaml: config: 'tags': items must be a mapping with a type (string, integer, boolean, array, "
         "object), and items for an array"),
        ("  token:\n    secret: 'yes'\n", "Pulumi.yaml: config: 'token': secret is text; it is true or false"),
        ("  a.b:\n    type: string\n",
         "Pulumi.yaml: config: 'a.b': the CLI reads a declared name with '.' as a path into a value, which this "
         "reader does not follow; declare plain names"),
    ],
    ids=["default-and-value", "array-without-items", "default-of-another-type", "object-default-declared-string",
         "foreign-key-typed", "foreign-key-default", "foreign-key-without-value", "unknown-type",
         "unknown-attribute", "float-shorthand", "items-not-a-mapping", "secret-not-boolean", "path-name"],
)  # fmt: skip
def test_a_malformed_declaration_is_refused_in_one_line(tmp_path: Path, declarations: str, expected: str) -> None:
    assert declared_refusal(tmp_path, declarations, "config: {}\n") == expected


def test_a_config_directory_in_the_project_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nconfig: stacks\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(StackFileError, match=r"^Pulumi.yaml: `config:` naming a directory is the old spelling"):
        read_stack(tmp_path, "dev")


@pytest.mark.parametrize(
    ("type_name", "accepted", "refused"),
    [
        ("integer", [5, 2.0, "5", "+5", "-9223372036854775808", "0007", float("inf")],
         [True, 1.5, "5.0", "1_000", " 5", "9223372036854775808", "", float("nan"), [5]]),
        ("boolean", [True, False, "true", "false"], ["True", "yes", 1, "1", None]),
        ("string", ["", "5", "{}"], [5, True, {}, []]),
        ("object", [{}, {"a": 1}], ["{}", [], None]),
    ],
)  # fmt: skip
def test_each_type_accepts_what_the_cli_accepts(type_name: str, accepted: list[object], refused: list[object]) -> None:
    """pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.go:771-831, strconv.Atoi for integer text."""
    assert [value for value in accepted if not config_value_is_valid(type_name, None, value)] == []
    assert [value for value in refused if config_value_is_valid(type_name, None, value)] == []
