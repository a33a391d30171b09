"""MkDocs hooks: a page's `<!-- generated: NAME -->` line becomes the reference text `generated_pages` makes from the
code and the specs; a name it does not know fails the build."""

from __future__ import annotations

import re
from typing import Any

from generated_pages import GENERATORS

MARKER = re.compile(r"^<!-- generated: (?P<name>[a-z-]+) -->$", re.MULTILINE)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The page with each generated part filled in."""

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise ValueError(f"{page.file.src_uri}: no generator {name!r} (there are {', '.join(GENERATORS)})")
        return GENERATORS[name]()

    return MARKER.sub(fill, markdown)
