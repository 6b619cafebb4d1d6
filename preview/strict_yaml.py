"""Reads Pulumi.yaml and Pulumi.<stack>.yaml strictly (`load_yaml`): a problem is one line naming the file, the line
and the key, and nothing in a file can make reading it slow or show one of its values:
- at most MAX_FILE_BYTES, UTF-8 (a leading byte order mark is dropped, as the CLI drops it:
  pulumi/pulumi@v3.259.0:sdk/go/common/workspace/loaders.go:30-31,160);
- one document; no anchors or aliases (nothing in a stack file needs them, and expanding them is how a small
  file becomes a huge value); no tags but YAML's own; keys are text, each once in its mapping;
- nesting at most MAX_DEPTH deep, numbers of at most MAX_DIGITS digits;
- scalars resolved by YAML 1.2's core schema (https://yaml.org/spec/1.2.2/#103-core-schema), as the CLI's
  gopkg.in/yaml.v3 does (pulumi/pulumi@v3.259.0:sdk/go/common/encoding/marshal.go:27): `4:30` and `2025-01-01`
  stay text, `yes` stays text.
"""

import re
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


# A stack file of this project is under 1 kB; 256 KiB holds any real one many times over.
MAX_FILE_BYTES = 256 * 1024
# `config:` > key > section > dns.overrides > label > ttl is 6 levels; the bound leaves room and stops a
# "[[[[..." file at once.
MAX_DEPTH = 16
# 2^64 has 20 digits; no setting is a longer number, and longer ones cost quadratic time to convert.
MAX_DIGITS = 20

_STR = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
# YAML 1.2 core schema, 10.3.2 (tag resolution of plain scalars).
_NULL = re.compile(r"null|Null|NULL|~|")
_TRUE = re.compile(r"true|True|TRUE")
_FALSE = re.compile(r"false|False|FALSE")
_DECIMAL = re.compile(r"[-+]?[0-9]+", re.ASCII)
_OCTAL = re.compile(r"0o[0-7]+", re.ASCII)
_HEX = re.compile(r"0x[0-9a-fA-F]+", re.ASCII)
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", re.ASCII)
_INFINITY = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml_file(path: Path) -> Any:
    """The file's one YAML document, read strictly (module docstring), or StackFileError in one line."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StackFileError(f"{path.name}: is {size:,} bytes; allowed: at most {MAX_FILE_BYTES:,}")
        data = path.read_bytes()
    except OSError as error:
        raise StackFileError(f"{path.name}: cannot be read ({error.strerror})") from None
    return load_yaml(data, path.name)


def load_yaml(data: bytes | str, name: str) -> Any:
    """One YAML document from `data`, read strictly (module docstring); StackFileError names `name` and the line."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise StackFileError(f"{name}: is {len(data):,} bytes; allowed: at most {MAX_FILE_BYTES:,}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise StackFileError(
                f"{name}: is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
            ) from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    try:
        return _Composer(name).compose(yaml.parse(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = _one_line(error.problem or error.context or "is not YAML")
        raise StackFileError(f"{name}: {where}{problem}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        character = chr(error.character) if isinstance(error.character, int) else str(error.character)
        raise StackFileError(
            f"{name}: line {line}: {character!a} is not allowed in YAML text ({error.reason})"
        ) from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{name}: is not YAML ({_one_line(str(error).splitlines()[0])})") from None


class _Composer:
    """Builds the document from the parser's events, refusing what the module docstring lists as it goes."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Open containers: [value, pending key or None, {key: line} for mappings].
        self.stack: list[list[Any]] = []
        self.documents = 0
        self.root: Any = None

    def refuse(self, event: Any, problem: str) -> StackFileError:
        return StackFileError(f"{self.name}: line {event.start_mark.line + 1}: {problem}")

    def compose(self, events: Any) -> Any:
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise self.refuse(event, "a second YAML document (---); a stack file holds one")
            elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise self.refuse(
                    event, "anchors and aliases (&name, *name) are not allowed in a stack file; write each value out"
                )
            elif isinstance(event, yaml.ScalarEvent):
                self.add(event, self.scalar(event))
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                self.check_tag(event)
                if len(self.stack) >= MAX_DEPTH:
                    raise self.refuse(event, f"is nested more than {MAX_DEPTH} levels deep")
                container: Any = [] if isinstance(event, yaml.SequenceStartEvent) else {}
                self.add(event, container)
                self.stack.append([container, None, {}])
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                self.stack.pop()
        return self.root

    def add(self, event: Any, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        container, key, lines = top
        if isinstance(container, list):
            container.append(value)
        elif key is None:
            self.key(event, value, lines)
            top[1] = value
        else:
            container[key] = value
            top[1] = None

    def key(self, event: Any, value: Any, lines: dict[str, int]) -> None:
        if not isinstance(value, str):
            raise self.refuse(event, f"a key is {_kind(value)}; keys are text (quote it)")
        if value == "<<" and event.implicit[0]:
            raise self.refuse(event, "merge keys (<<) are not allowed in a stack file; write each key out")
        line = event.start_mark.line + 1
        if value in lines:
            raise self.refuse(
                event,
                f"the key {_shown(value)} appears twice in one mapping (lines {lines[value]} and {line}); keep one",
            )
        lines[value] = line

    def check_tag(self, event: Any) -> None:
        if event.tag not in (None, "!") and event.tag not in _ALLOWED_TAGS:
            raise self.refuse(event, f"the tag {_shown(event.tag)} is not allowed; a stack file holds plain values")

    def scalar(self, event: Any) -> Any:
        self.check_tag(event)
        text: str = event.value
        tag = event.tag
        if tag in (None, "!") and not event.implicit[0]:
            return text  # quoted or block text, or the non-specific tag '!'
        if tag in (None, "!"):
            tag = _resolve(text)
        if tag == _STR:
            return text
        return self.construct(event, tag, text)

    def construct(self, event: Any, tag: str, text: str) -> Any:
        if tag.endswith(":null") and _NULL.fullmatch(text):
            return None
        if tag.endswith(":bool") and (_TRUE.fullmatch(text) or _FALSE.fullmatch(text)):
            return _TRUE.fullmatch(text) is not None
        if tag.endswith(":int") and (_DECIMAL.fullmatch(text) or _OCTAL.fullmatch(text) or _HEX.fullmatch(text)):
            if len(text) > MAX_DIGITS:
                raise self.refuse(event, f"a number of {len(text)} characters; allowed: at most {MAX_DIGITS} digits")
            return int(text, 0) if not _DECIMAL.fullmatch(text) else int(text)
        if tag.endswith(":float") and (_FLOAT.fullmatch(text) or _INFINITY.fullmatch(text) or _NAN.fullmatch(text)):
            if len(text) > MAX_DIGITS * 2:
                raise self.refuse(event, f"a number of {len(text)} characters; allowed: at most {MAX_DIGITS * 2}")
            if _NAN.fullmatch(text):
                return float("nan")
            if _INFINITY.fullmatch(text):
                return float("-inf") if text.startswith("-") else float("inf")
            return float(text)
        raise self.refuse(event, f"a value is not what its tag {_shown(tag)} says (a {tag.rsplit(':', 1)[-1]})")


def _resolve(text: str) -> str:
    if _NULL.fullmatch(text):
        return "tag:yaml.org,2002:null"
    if _TRUE.fullmatch(text) or _FALSE.fullmatch(text):
        return "tag:yaml.org,2002:bool"
    if _DECIMAL.fullmatch(text) or _OCTAL.fullmatch(text) or _HEX.fullmatch(text):
        return "tag:yaml.org,2002:int"
    if _FLOAT.fullmatch(text) or _INFINITY.fullmatch(text) or _NAN.fullmatch(text):
        return "tag:yaml.org,2002:float"
    return _STR


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


def _shown(text: Any) -> str:
    """A key or tag in a message: quoted, escaped, shortened."""
    text = str(text)
    return ascii(text[:60]) + ("…" if len(text) > 60 else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
