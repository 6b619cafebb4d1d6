from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ..support.containers import Image, containers, env_map, has_unknown_envs
from ..support.properties import UNKNOWN, get, items
from ..support.secret_inputs import env_reference, requirepass_values, runs_in_a_shell

# Images that take the password from this variable themselves (the official ones do not).
PASSWORD_VARIABLE_IMAGES = ("bitnami/",)
# Authentication by ACL instead of one password: a file of users, or users defined on the command line.
ACL_OPTIONS = ("--aclfile", "--user")


def _authenticates_by_acl(props: Mapping[str, Any]) -> bool:
    words = [str(item) for _, item in items(get(props, "command")) if item is not UNKNOWN]
    words += [str(value) for value in env_map(props).values() if value is not UNKNOWN]
    # An enabled user with nopass, or with no password ('>...') nor hash ('#...'), lets anyone in as that user.
    users = [words[index + 1].split() for index, word in enumerate(words[:-1]) if word == "--user"]
    if any("nopass" in rule or ("on" in rule and not any(part[:1] in ">#" for part in rule)) for rule in users):
        return False
    return any(option in word.split() or word.startswith(f"{option}=") for word in words for option in ACL_OPTIONS)


def password_problem(props: Mapping[str, Any], image: Image) -> str | None:
    """Why the container's Redis takes no password, or None when it requires one."""
    envs = env_map(props)
    shell = runs_in_a_shell(props)
    for path, label, value in requirepass_values(props):
        reference = env_reference(value)
        if reference is None:
            return None  # a password; secrets-disallow-default-values judges it
        if not (shell and path[0] == "command"):
            return (
                f"{label} is the literal text {value}: nothing expands it (no shell runs the command); run it with "
                "sh -c, or pass a generated secret"
            )
        if envs.get(reference) or (reference not in envs and has_unknown_envs(props)):
            return None
    if _authenticates_by_acl(props):
        return None
    repository = image.reference.split("@", 1)[0].rsplit(":", 1)[0]
    if any(f"/{prefix}" in f"/{repository}" for prefix in PASSWORD_VARIABLE_IMAGES) and envs.get("REDIS_PASSWORD"):
        return None
    return (
        "runs Redis without a password; the official image turns protected mode off, so start it with "
        "--requirepass from a generated secret (or --aclfile)"
    )


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    for container, image in containers(args.resources):
        if image.family != "redis":
            continue
        problem = password_problem(container.props, image)
        if problem:
            report(f"{container.name} {problem}.", container.urn)


POLICY = StackValidationPolicy(
    name="redis-container-enable-password",
    description="Redis must require a password (or ACL users): its official image disables protected mode, so any "
    "client that reaches it could read and overwrite every key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
