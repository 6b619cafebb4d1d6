import bisect
import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.properties import get
from ..support.secret_inputs import COMMANDS

SERVER = "hcloud:index/server:Server"
# Where a server runs what it is given: a command's lines and stdin, a server's user data.
SCRIPT_INPUTS = {**dict.fromkeys(COMMANDS, ("create", "update", "delete", "stdin")), SERVER: ("userData",)}
# Every pattern here runs in time linear in the line, and each is run a bounded number of times per character (a
# 1 MB line is checked in well under a second: tests/policies/test_hostile_inputs.py).
# The download command word, and what it fetches: the URL written out, or a variable holding it.
_FETCH_WORD = re.compile(r"\b(?:curl|wget)\b")
_TARGET_START = re.compile(r"https?://|\$")
_TARGET = re.compile(r"https?://[^\s'\"|;&)]+|\$\{?\w+\}?")
# A shell as a command word: 'bash', '/bin/sh', 'sudo -E bash', 'sudo -u root bash', 'env bash', and the shell's
# own 'source' and 'eval'; not 'verify.sh'. sudo's options are unambiguous (`-u` takes the next word, any other
# option is one word), so no text splits among them in more than one way.
_SHELL = (
    r"(?:sudo\s+(?:-u\s+\S+\s+|-(?!u\s)\S+\s+)*)?(?:(?:/usr)?/bin/)?(?:env\s+)?(?:(?:/usr)?/bin/)?"
    r"(?:(?:ba|z|da|k)?sh|source|eval)(?![\w.-])"
)
_SHELL_STAGE = re.compile(r"\s*" + _SHELL)
# A shell word as a command: at the start of the text, or after white space, '(' or a command separator. Any
# _SHELL match holds one (sudo's and env's words end in white space), so the bare word is searched for: searching
# for _SHELL itself would rescan a long run of sudo options from each of its words.
_BARE_SHELL = r"(?:(?:/usr)?/bin/)?(?:(?:ba|z|da|k)?sh|source|eval)"
_SHELL_WORD = re.compile(r"(?:^|(?<=[\s;&|(]))" + _BARE_SHELL + r"(?![\w.-])")
# The shell word just before `-c "$(curl ...`: the end of the text before it.
_SHELL_WORD_END = re.compile(_BARE_SHELL + r"\Z")
_SHELL_WORD_CHARS = len("/usr/bin/source")
# Where a pipeline ends: the next command of the line.
_PIPELINE_END = re.compile(r";|&&|\|\||(?<![|>])&(?!>)")
_PIPE = re.compile(r"(?<!\|)\|(?!\|)")
_SEPARATORS = ";&|"
# A URL that names an exact commit cannot change under the stack.
_PINNED = re.compile(r"https://(raw\.githubusercontent\.com/[^/]+/[^/]+|github\.com/[^/]+/[^/]+/raw)/[0-9a-f]{40}/")


def _fetches(line: str, breaks: list[int]) -> list[tuple[int, int, str]]:
    """(start, end, target) of each `curl|wget ... <URL or $VAR>`: the first target after the command word within
    its command (no | ; & between them). Matches do not overlap, as a regex's finditer's would not."""
    found: list[tuple[int, int, str]] = []
    resume = 0
    for word in _FETCH_WORD.finditer(line):
        start = word.start()
        if start < resume:
            continue
        following = bisect.bisect_left(breaks, start)
        limit = breaks[following] if following < len(breaks) else len(line)
        position = word.end()
        resume = limit  # no target before this command ends: no later command word in it finds one either
        while (candidate := _TARGET_START.search(line, position, limit)) is not None:
            target = _TARGET.match(line, candidate.start(), limit)
            if target is not None:
                found.append((start, target.end(), target[0]))
                resume = target.end()
                break
            position = candidate.start() + 1
    return found


def _shell_after_pipes(line: str, ends: list[int]) -> dict[int, bool]:
    """For each pipe's position: whether a stage of its pipeline after it starts with a shell."""
    pipes = [match.start() for match in _PIPE.finditer(line)]
    after: dict[int, bool] = {}
    shell_later = False
    for index in range(len(pipes) - 1, -1, -1):
        pipe = pipes[index]
        pipeline_end = _next(ends, pipe, len(line))
        next_pipe = pipes[index + 1] if index + 1 < len(pipes) else len(line)
        if next_pipe >= pipeline_end:
            shell_later = False  # this pipe's stage is its pipeline's last
        stage_end = min(next_pipe, pipeline_end)
        shell_later = shell_later or _SHELL_STAGE.match(line, pipe + 1, stage_end) is not None
        after[pipe] = shell_later
    return after


def _next(positions: list[int], position: int, default: int) -> int:
    """The first of the sorted `positions` at or after `position`."""
    index = bisect.bisect_left(positions, position)
    return positions[index] if index < len(positions) else default


def _space_before(line: str, position: int, floor: int) -> int:
    """Where the white space that ends at `position` starts (not before `floor`)."""
    while position > floor and line[position - 1].isspace():
        position -= 1
    return position


def _substituted(line: str, start: int, cut: int, shell_in_command: int | None) -> bool:
    """Whether the command before a download (line[cut:start]) runs the download's output: `sh <(curl ...` (a
    shell word, `shell_in_command`, anywhere before the `<(`) or `sh -c "$(curl ...` (right before the `$(`)."""
    end = _space_before(line, start, cut)
    opener = line[end - 2 : end] if end - 2 >= cut else ""
    if opener == "<(":
        return shell_in_command is not None and shell_in_command < end - 2
    if opener != "$(":
        return False
    end -= 2
    if end > cut and line[end - 1] in "\"'":
        end -= 1
    word_end = _space_before(line, end, cut)
    if word_end == end:
        return False  # the shell word and its `$(` are separated by white space
    if line[max(cut, word_end - 2) : word_end] == "-c":
        before_option = _space_before(line, word_end - 2, cut)
        if before_option == word_end - 2:
            return False
        word_end = before_option
    shell = _SHELL_WORD_END.search(line, max(cut, word_end - _SHELL_WORD_CHARS), word_end)
    return shell is not None and (shell.start() == 0 or line[shell.start() - 1] in " \t(;&|")


def piped_downloads(script: str) -> list[str]:
    """The URLs the script downloads and runs in a shell in one go, never looked at."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        if "curl" not in line and "wget" not in line:
            continue
        breaks = [index for index, char in enumerate(line) if char in _SEPARATORS]
        ends = [match.start() for match in _PIPELINE_END.finditer(line)]
        shell_after = _shell_after_pipes(line, ends) if "|" in line else {}
        pipes = sorted(shell_after)
        # Per command (keyed by where it starts): where its first shell word is, searched once.
        shells: dict[int, int | None] = {}
        for start, end, url in _fetches(line, breaks):
            if _PINNED.match(url):
                continue
            pipe = _next(pipes, end, len(line))
            piped = pipe < _next(ends, end, len(line)) and shell_after[pipe]
            if not piped:
                previous = bisect.bisect_left(breaks, start)
                cut = breaks[previous - 1] + 1 if previous else 0
                if cut not in shells:
                    shell = _SHELL_WORD.search(line, cut, _next(breaks, cut, len(line)))
                    shells[cut] = shell.start() if shell else None
                piped = _substituted(line, start, cut, shells[cut])
            if piped:
                found.append(url)
    return found


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for key in SCRIPT_INPUTS.get(args.resource_type, ()):
        text = get(args.props, key)
        if not isinstance(text, str):
            continue
        for url in dict.fromkeys(piped_downloads(text)):  # each address once, however often it is piped
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
