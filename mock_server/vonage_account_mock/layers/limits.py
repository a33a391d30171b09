"""Bounds on the shape of what a request carries, checked before anything parses it per item.

Query strings and forms are counted by their separators, JSON bodies scanned for nesting depth and parsed with
integers held to a length, so a request built to be expensive (thousands of parameters, arrays nested thousands
deep, a five-thousand-digit number) is refused in time linear in its size, before any layer walks it.
"""

from __future__ import annotations

import json
import re

MAX_QUERY_PARAMETERS = 64
MAX_FORM_FIELDS = 64
MAX_JSON_DEPTH = 32
MAX_INTEGER_DIGITS = 32

_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


class ShapeRefused(Exception):
    """A request whose shape is over a bound: `field` is where (never a value), `reason` the bound."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_query(query_string: bytes) -> None:
    """Refuse more than MAX_QUERY_PARAMETERS parameters."""
    if query_string and query_string.count(b"&") >= MAX_QUERY_PARAMETERS:
        raise ShapeRefused("query", f"more than {MAX_QUERY_PARAMETERS} query parameters")


def check_form(body: bytes) -> None:
    """Refuse more than MAX_FORM_FIELDS form fields."""
    if body.count(b"&") >= MAX_FORM_FIELDS:
        raise ShapeRefused("body", f"more than {MAX_FORM_FIELDS} form fields")


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


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _LongInteger()
    return int(text)


def check_json(body: bytes) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH or with an integer over MAX_INTEGER_DIGITS digits.

    Malformed JSON passes: the layers that read the body answer it as the spec says.
    """
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ShapeRefused("body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        json.loads(body, parse_int=_bounded_int)
    except _LongInteger:
        raise ShapeRefused("body", f"an integer longer than {MAX_INTEGER_DIGITS} digits") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return
