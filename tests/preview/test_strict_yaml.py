"""The strict YAML reader (its refusals and scalars, read through read_stack, are in test_stack_files.py)."""

import contextlib
import time

from preview.strict_yaml import StackFileError, load_yaml


def test_the_loader_is_linear_on_big_hostile_documents() -> None:
    hostile = ["a: " + "x" * 200_000, "[" * 200_000, "- " * 100_000, "{a: " * 50_000, "a:\n" + "  b: c\n" * 30_000]
    for text in hostile:
        started = time.perf_counter()
        with contextlib.suppress(StackFileError):
            load_yaml(text, "hostile.yaml")
        assert time.perf_counter() - started < 1.0
