"""Stack files are handed to the program the way the Pulumi CLI hands them over."""

import json
from pathlib import Path

import pytest

from preview.stack_files import read_stack, secret_placeholder
from preview.strict_yaml import StackFileError


def project(tmp_path: Path, stack_yaml: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    return tmp_path


def test_values_become_pulumi_config_text(tmp_path: Path) -> None:
    settings = read_stack(
        project(tmp_path, "config:\n  demo:flag: true\n  demo:count: 3\n  demo:name: x\n  obj:\n    a: [1, 2]\n"), "dev"
    )
    assert settings.project == "demo"
    assert settings.config == {"demo:flag": "true", "demo:count": "3", "demo:name": "x", "demo:obj": '{"a": [1, 2]}'}
    assert settings.secret_keys == frozenset()


def test_secure_values_become_marked_placeholders_and_secret_keys(tmp_path: Path) -> None:
    settings = read_stack(
        project(
            tmp_path,
            "config:\n  hcloud:token:\n    secure: v1:abc\n"
            "  demo:backup:\n    bucket: b\n    secretKey:\n      secure: v1:def\n",
        ),
        "dev",
    )
    assert settings.config["hcloud:token"] == secret_placeholder("hcloud:token")
    assert json.loads(settings.config["demo:backup"]) == {
        "bucket": "b",
        "secretKey": secret_placeholder("demo:backup.secretKey"),
    }
    assert settings.secret_keys == {"hcloud:token", "demo:backup"}


def test_missing_stack_file_names_the_available_stacks(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r"no stack file Pulumi.prod.yaml in .*; stacks: dev$"):
        read_stack(project(tmp_path, "config: {}\n"), "prod")


def test_malformed_stack_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match=r"^Pulumi.dev.yaml: 'config' must be a mapping"):
        read_stack(project(tmp_path, "config: [1]\n"), "dev")
    with pytest.raises(StackFileError, match=r"^Pulumi.dev.yaml: "):
        read_stack(project(tmp_path, "config: {a: [\n"), "dev")


def refusal(tmp_path: Path, stack_yaml: str | bytes) -> str:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    target = tmp_path / "Pulumi.dev.yaml"
    if isinstance(stack_yaml, bytes):
        target.write_bytes(stack_yaml)
    else:
        target.write_text(stack_yaml)
    with pytest.raises(StackFileError) as refused:
        read_stack(tmp_path, "dev")
    return str(refused.value)


@pytest.mark.parametrize(
    ("stack_yaml", "expected"),
    [
        ("config:\n  demo:name: a\n  demo:name: b\n",
         "Pulumi.dev.yaml: line 3: the key 'demo:name' appears twice in one mapping (lines 2 and 3); keep one"),
        ("config:\n  demo:server:\n    type: cx33\n    type: cx43\n",
         "Pulumi.dev.yaml: line 4: the key 'type' appears twice in one mapping (lines 3 and 4); keep one"),
        ("config:\n  demo:name: a\n  name: b\n",
         "Pulumi.dev.yaml: config: demo:name is set twice (as 'name' too)"),
        ("config:\n  demo:a: &x [1]\n  demo:b: *x\n",
         "Pulumi.dev.yaml: line 2: anchors and aliases (&name, *name) are not allowed in a stack file; write each "
         "value out"),
        ("a: &a [x, x]\nb: &b [*a, *a]\nconfig: {}\n",
         "Pulumi.dev.yaml: line 1: anchors and aliases (&name, *name) are not allowed in a stack file; write each "
         "value out"),
        ("config:\n  <<: {demo:a: 1}\n",
         "Pulumi.dev.yaml: line 2: merge keys (<<) are not allowed in a stack file; write each key out"),
        ("config:\n  1: x\n", "Pulumi.dev.yaml: line 2: a key is a number; keys are text (quote it)"),
        ("config:\n  ? [a, b]\n  : x\n", "Pulumi.dev.yaml: line 2: a key is a list; keys are text (quote it)"),
        ("config:\n  null: x\n", "Pulumi.dev.yaml: line 2: a key is null; keys are text (quote it)"),
        ("config:\n  demo:x: !!binary aGk=\n",
         "Pulumi.dev.yaml: line 2: the tag 'tag:yaml.org,2002:binary' is not allowed; a stack file holds plain values"),
        ("config:\n  demo:x: !!python/object:os.system x\n",
         "Pulumi.dev.yaml: line 2: the tag 'tag:yaml.org,2002:python/object:os.system' is not allowed; a stack file "
         "holds plain values"),
        ("config:\n  demo:x: 1" + "0" * 30 + "\n",
         "Pulumi.dev.yaml: line 2: a number of 31 characters; allowed: at most 20 digits"),
        ("config:\n  demo:x: " + "[" * 40 + "\n",
         "Pulumi.dev.yaml: line 2: is nested more than 16 levels deep"),
        ("config:\n  demo:x: 1\n---\nconfig: {}\n",
         "Pulumi.dev.yaml: line 3: a second YAML document (---); a stack file holds one"),
        ("config:\n  demo:name: ~\n", "Pulumi.dev.yaml: demo:name: is empty (null); give it a value or remove it"),
        ("config:\n  a:b:c: x\n",
         "Pulumi.dev.yaml: config: 'a:b:c' is not a config key; allowed: <namespace>:<name> (or <name> for this "
         "project's), each 1-100 of letters, digits and _ . @ / -"),
        ("config:\n  demo:a b: x\n",
         "Pulumi.dev.yaml: config: 'demo:a b' is not a config key; allowed: <namespace>:<name> (or <name> for this "
         "project's), each 1-100 of letters, digits and _ . @ / -"),
        ("config:\n  demo:x:\n    secure: 5\n",
         "Pulumi.dev.yaml: demo:x: a secure value is the ciphertext `pulumi config set --secret` writes"),
        ("", "Pulumi.dev.yaml: is empty; expected a mapping (config: with the stack's keys)"),
        ("- a\n- b\n", "Pulumi.dev.yaml: expected a mapping at the top level, found a list"),
        ("encryptionsalt: x\n", "Pulumi.dev.yaml: has no `config:`; expected the stack's keys under it"),
        ("config:\n\tdemo:x: 1\n",
         "Pulumi.dev.yaml: line 2, column 1: found character that cannot start any token"),
        (b"config:\n  demo:x: \xff\xfe\n", "Pulumi.dev.yaml: is not UTF-8 text (byte 0xff at offset 18)"),
        (b"config:\n  demo:x: a\x00b\n",
         "Pulumi.dev.yaml: line 2: '\\x00' is not allowed in YAML text (control characters are not allowed)"),
        ("config: {a: [\n", "Pulumi.dev.yaml: line 2, column 1: did not find expected node content"),
        ("config:\n  demo:x: " + "a" * (256 * 1024) + "\n",
         "Pulumi.dev.yaml: is 262,163 bytes; allowed: at most 262,144"),
    ],
    ids=["duplicate-config-key", "duplicate-nested-key", "same-key-two-spellings", "alias", "billion-laughs-start",
         "merge-key", "number-key", "list-key", "null-key", "binary-tag", "python-tag", "huge-number", "deep-nesting",
         "two-documents", "null-value", "three-part-key", "key-with-space", "secure-not-text", "empty-file",
         "top-level-list", "no-config", "tab-indent", "not-utf8", "nul-byte", "unclosed-flow", "oversized"],
)  # fmt: skip
def test_a_hostile_stack_file_is_refused_in_one_line(tmp_path: Path, stack_yaml: str | bytes, expected: str) -> None:
    assert refusal(tmp_path, stack_yaml) == expected


def test_yaml_1_2_scalars_as_the_cli_reads_them(tmp_path: Path) -> None:
    settings = read_stack(
        project(
            tmp_path,
            "\ufeffconfig:\n  demo:time: 4:30\n  demo:date: 2025-01-01\n  demo:yes: yes\n  demo:octal: 0o17\n"
            "  demo:obj: {a: 1.5, b: null, c: True, d: '7'}\n",
        ),
        "dev",
    )
    assert settings.config == {
        "demo:time": "4:30",
        "demo:date": "2025-01-01",
        "demo:yes": "yes",
        "demo:octal": "15",
        "demo:obj": '{"a": 1.5, "b": null, "c": true, "d": "7"}',
    }


def test_a_secure_value_stands_alone(tmp_path: Path) -> None:
    assert refusal(tmp_path, "config:\n  demo:x:\n    secure: v1:abc\n    other: 1\n") == (
        "Pulumi.dev.yaml: demo:x: `secure:` stands alone in its mapping; it holds one encrypted value"
    )
