"""Per-stack policy configuration, resolved like `pulumi preview --policy-pack-config`, and which file a stack uses."""

import json
from pathlib import Path

import pytest

from preview.policy_config import ConfigChoice, PolicyConfigError, PolicyDefaults, PolicySetting, choose, resolve

DEFAULTS = {
    "a-b-c-disallow-x": PolicyDefaults("mandatory", {"minLength": {"type": "integer", "default": 16}}),
    "a-b-c-enable-y": PolicyDefaults("advisory", {"ports": {"type": "array"}}),
}


def config_file(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(content))
    return path


def test_without_a_file_every_policy_keeps_its_defaults() -> None:
    assert resolve(DEFAULTS, None) == {
        "a-b-c-disallow-x": PolicySetting("mandatory", {"minLength": 16}),
        "a-b-c-enable-y": PolicySetting("advisory", {}),
    }


def test_levels_and_properties_from_the_file(tmp_path: Path) -> None:
    path = config_file(tmp_path, {"a-b-c-disallow-x": {"minLength": 32}, "a-b-c-enable-y": "disabled"})
    assert resolve(DEFAULTS, path) == {
        "a-b-c-disallow-x": PolicySetting("mandatory", {"minLength": 32}),
        "a-b-c-enable-y": PolicySetting("disabled", {}),
    }


def test_all_sets_every_level_and_named_policies_override_it(tmp_path: Path) -> None:
    path = config_file(tmp_path, {"all": "advisory", "a-b-c-enable-y": {"enforcementLevel": "mandatory"}})
    assert {name: setting.level for name, setting in resolve(DEFAULTS, path).items()} == {
        "a-b-c-disallow-x": "advisory",
        "a-b-c-enable-y": "mandatory",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"nope": "advisory"},
            "stack.json: 'nope' is not a policy of this pack; policies: a-b-c-disallow-x, a-b-c-enable-y",
        ),
        (
            {"a-b-c-enable-y": "strict"},
            "stack.json: a-b-c-enable-y: 'strict' is not an enforcement level; "
            "allowed: mandatory, remediate, advisory, disabled",
        ),
        (
            {"a-b-c-disallow-x": {"minLen": 3}},
            "stack.json: a-b-c-disallow-x.minLen is not a property of the policy; allowed: enforcementLevel, minLength",
        ),
        (
            {"a-b-c-disallow-x": {"minLength": "32"}},
            "stack.json: a-b-c-disallow-x.minLength: '32' is not of type integer",
        ),
        (
            {"a-b-c-disallow-x": {"minLength": True}},
            "stack.json: a-b-c-disallow-x.minLength: True is not of type integer",
        ),
        ({"a-b-c-enable-y": 3}, "stack.json: a-b-c-enable-y: expected a level or an object, got 3"),
        ([1], "stack.json: expected an object of policy names"),
    ],
)
def test_bad_configuration_is_refused_with_one_line(tmp_path: Path, content: object, message: str) -> None:
    with pytest.raises(PolicyConfigError) as caught:
        resolve(DEFAULTS, config_file(tmp_path, content))
    assert str(caught.value) == message


def pack_with(tmp_path: Path, *configs: str) -> Path:
    (tmp_path / "config").mkdir()
    for name in configs:
        (tmp_path / "config" / f"{name}.json").write_text("{}")
    return tmp_path


def test_a_stack_uses_its_own_file_first(tmp_path: Path) -> None:
    pack = pack_with(tmp_path, "staging", "dev")
    assert choose(pack, "dev", "staging") == ConfigChoice(pack / "config" / "dev.json", "stack", "dev", "staging")


def test_a_stack_without_its_own_file_uses_its_environments(tmp_path: Path) -> None:
    pack = pack_with(tmp_path, "staging", "production")
    assert choose(pack, "dev", "staging") == ConfigChoice(
        pack / "config" / "staging.json", "environment", "dev", "staging"
    )


def test_without_either_file_every_policy_keeps_its_level(tmp_path: Path) -> None:
    pack = pack_with(tmp_path, "production")
    assert choose(pack, "dev", "staging") == ConfigChoice(None, "none", "dev", "staging")
    assert choose(tmp_path / "no-pack", "dev", "dev").path is None


def test_a_file_given_wins(tmp_path: Path) -> None:
    pack = pack_with(tmp_path, "staging", "dev")
    given = tmp_path / "mine.json"
    assert choose(pack, "dev", "staging", given) == ConfigChoice(given, "given", "dev", "staging")
