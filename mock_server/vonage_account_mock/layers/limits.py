"""Bounds on the shape of what a request carries, checked before anything parses it per item.

Query strings and forms are counted by their separators, JSON bodies scanned for nesting depth and parsed with
integers held to a length, so a request built to be expensive (thousands of parameters, arrays nested thousands
deep, a five-thousand-digit number) is refused in time linear in its size, before any layer walks it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

MAX_QUERY_PARAMETERS = 64
MAX_FORM_FIELDS = 64
MAX_JSON_DEPTH = 32
MAX_INTEGER_DIGITS = 32

_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


@dataclass(frozen=True)
class ShapeLimits:
    """The bounds on a request's shape; the defaults suit a shared mock (`vonage-account-mock serve --help`)."""

    max_query_parameters: int = MAX_QUERY_PARAMETERS
    max_form_fields: int = MAX_FORM_FIELDS
    max_json_depth: int = MAX_JSON_DEPTH
    max_integer_digits: int = MAX_INTEGER_DIGITS


DEFAULT_SHAPE = ShapeLimits()


class ShapeRefused(Exception):
    """A request whose shape is over a bound: `field` is where (never a value), `reason` the bound."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_query(query_string: bytes, limits: ShapeLimits = DEFAULT_SHAPE) -> None:
    """Refuse more query parameters than the limit."""
    if query_string and query_string.count(b"&") >= limits.max_query_parameters:
        raise ShapeRefused("query", f"more than {limits.max_query_parameters} query parameters")


def check_form(body: bytes, limits: ShapeLimits = DEFAULT_SHAPE) -> None:
    """Refuse more form fields than the limit."""
    if body.count(b"&") >= limits.max_form_fields:
        raise ShapeRefused("body", f"more than {limits.max_form_fields} form fields")


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` in a JSON text."""
    if body.count(b"{") + body.count(b"[") <= limit:
        return False  # cannot: two counts in C instead of a walk in Python, for every ordinary body
    return json_depth(body) > limit


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = False
    skip = -1
    for match in _STRUCTURE.finditer(body):
        position = match.start()
        if position == skip:
            continue
        char = body[position]
        if in_string:
            if char == 0x5C:  # a backslash escapes whatever follows
                skip = position + 1
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (0x5D, 0x7D):
            depth -= 1
    return deepest


class _LongInteger(ValueError):
    pass


@functools.cache
def _digit_run(longest: int) -> re.Pattern[bytes]:
    return re.compile(rb"[0-9]{%d}" % (longest + 1))


def check_json(body: bytes, limits: ShapeLimits = DEFAULT_SHAPE) -> None:
    """Refuse JSON nested deeper, or with an integer longer, than the limits.

    Malformed JSON passes: the layers that read the body answer it as the spec says.
    """
    if nested_deeper_than(body, limits.max_json_depth):
        raise ShapeRefused("body", f"JSON nested deeper than {limits.max_json_depth} levels")
    if len(body) <= limits.max_integer_digits or _digit_run(limits.max_integer_digits).search(body) is None:
        # No integer can be too long (a body that short cannot even hold one): spare the parse, which the layers
        # further in do anyway.
        return

    def bounded_int(text: str) -> int:
        if len(text.lstrip("-")) > limits.max_integer_digits:
            raise _LongInteger()
        return int(text)

    try:
        json.loads(body, parse_int=bounded_int)
    except _LongInteger:
        raise ShapeRefused("body", f"an integer longer than {limits.max_integer_digits} digits") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return
