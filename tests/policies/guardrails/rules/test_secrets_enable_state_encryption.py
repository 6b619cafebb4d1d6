"""secrets-enable-state-encryption, through the pack: a compliant resource, then one change per case."""

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import postgres, redis


class TestSecretsInState:
    POLICY = "secrets-enable-state-encryption"

    def test_secret_inputs_listed_as_secret_outputs_pass(self, check: Check) -> None:
        assert check(self.POLICY, postgres(), redis()) == []

    def test_container_envs_must_be_encrypted(self, check: Check) -> None:
        resource = postgres()
        resource.additional_secret_outputs = ()
        assert check(self.POLICY, resource) == [
            "envs carries secrets (envs POSTGRES_PASSWORD) but is not encrypted in the state; list 'envs' in the "
            "resource's additional_secret_outputs."
        ]

    def test_redis_command_must_be_encrypted(self, check: Check) -> None:
        resource = redis()
        resource.additional_secret_outputs = ("envs",)
        assert check(self.POLICY, resource) == [
            "command carries secrets (command --requirepass) but is not encrypted in the state; list 'command' in "
            "the resource's additional_secret_outputs."
        ]

    def test_remote_command_environment_must_be_encrypted(self, check: Check) -> None:
        command = Resource("command:remote:Command", {"create": "x", "environment": {"ROOT_USER_PASSWORD": UNKNOWN}})
        assert check(self.POLICY, command) == [
            "environment carries secrets (environment ROOT_USER_PASSWORD) but is not encrypted in the state; list "
            "'environment' in the resource's additional_secret_outputs."
        ]
        command.additional_secret_outputs = ("connection", "environment")
        assert check(self.POLICY, command) == []

    def test_provider_configuration_is_left_to_the_engine(self, check: Check) -> None:
        assert check(self.POLICY, Resource("pulumi:providers:hcloud", {"token": UNKNOWN}, name="default")) == []
