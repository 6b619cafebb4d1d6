import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.properties import get
from ..support.secret_inputs import COMMANDS

SERVER = "hcloud:index/server:Server"
# Where a server runs what it is given: a command's lines and stdin, a server's user data.
SCRIPT_INPUTS = {**dict.fromkeys(COMMANDS, ("create", "update", "delete", "stdin")), SERVER: ("userData",)}
# The URL written out, or a variable holding it.
_FETCH = re.compile(r"\b(?:curl|wget)\b[^|;&\n]*?(?P<url>https?://[^\s'\"|;&)]+|\$\{?\w+\}?)")
# A shell as a command word: 'bash', '/bin/sh', 'sudo -E bash', 'sudo -u root bash', 'env bash', and the shell's
# own 'source' and 'eval'; not 'verify.sh'.
_SHELL = (
    r"(?:sudo\s+(?:-u\s+\S+\s+|-\S+\s+)*)?(?:(?:/usr)?/bin/)?(?:env\s+)?(?:(?:/usr)?/bin/)?"
    r"(?:(?:ba|z|da|k)?sh|source|eval)(?![\w.-])"
)
_SHELL_STAGE = re.compile(r"^\s*" + _SHELL)
# Before a download: `sh <(curl URL)` and `sh -c "$(curl URL)"`.
_SUBSTITUTED = re.compile(r"(?:^|[\s;&|(])" + _SHELL + r"(?:\s+(?:-c\s+)?[\"']?\$\(|[^;&|\n]*<\()\s*$")
# Where a pipeline ends: the next command of the line.
_PIPELINE_END = re.compile(r";|&&|\|\||(?<![|>])&(?!>)")
_PIPE = re.compile(r"(?<!\|)\|(?!\|)")
# A URL that names an exact commit cannot change under the stack.
_PINNED = re.compile(r"https://(raw\.githubusercontent\.com/[^/]+/[^/]+|github\.com/[^/]+/[^/]+/raw)/[0-9a-f]{40}/")


def piped_downloads(script: str) -> list[str]:
    """The URLs the script downloads and runs in a shell in one go, never looked at."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        if "curl" not in line and "wget" not in line:
            continue
        for fetch in _FETCH.finditer(line):
            if _PINNED.match(fetch["url"]):
                continue
            rest = _PIPELINE_END.split(line[fetch.end() :], maxsplit=1)[0]
            stages = _PIPE.split(rest)[1:]
            if any(_SHELL_STAGE.match(stage) for stage in stages) or _SUBSTITUTED.search(line[: fetch.start()]):
                found.append(fetch["url"])
    return found


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for key in SCRIPT_INPUTS.get(args.resource_type, ()):
        text = get(args.props, key)
        if not isinstance(text, str):
            continue
        for url in piped_downloads(text):
            report(
                f"{key} pipes {url} into a shell: whatever that address serves today runs as root, unpinned and "
                "unverified; download a pinned release to a file, check its sha256 (sha256sum --check), then run it.",
                None,
            )


POLICY = ResourceValidationPolicy(
    name="installers-disallow-unverified-pipe-to-shell",
    description="Remote commands and user data must not pipe a download into a shell (curl | sh): pin the "
    "installer's version and check its checksum before it runs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
