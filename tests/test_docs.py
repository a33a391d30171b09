"""The documentation site holds: every page's code blocks run as written, and the site builds with --strict.

Each page runs in a fresh terminal of its own (an empty scratch folder, a clean HOME) against one pair of mocks
shared by all pages, in the site's order, so a page meets the mocks as the pages before it left them.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.doc_blocks import VENV_BIN, Block, console_mismatches, page_blocks, run_script, running_mocks, script_of

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _nav_pages(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)


def site_pages() -> list[str]:
    """The pages in the site's order, then the README (`../README.md`: the repository's front page, not the site's)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return [*_nav_pages(config["nav"]), "../README.md"]


PAGES = site_pages()
# DOCS_TEST_PASSES=2 runs every page a second time, against the mocks the first pass used.
PASSES = int(os.environ.get("DOCS_TEST_PASSES", "1"))


def blocks_of(page: str) -> list[Block]:
    return page_blocks((DOCS / page).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mocks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, int], Path]]:
    home = tmp_path_factory.mktemp("docs-home")
    with running_mocks(home) as ports:
        yield ports, home


def test_every_markdown_file_of_the_docs_is_a_page_or_excluded() -> None:
    # A page left out of the nav would have its blocks left out of this test too.
    # The bench's tables (docs/bench/*.md) are fragments the benchmarks page includes, excluded in mkdocs.yml.
    found = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if not {"plugins", "bench"} & set(p.parts)}
    assert found == set(PAGES) - {README_PAGE}


def test_the_readme_is_one_screen_and_its_links_resolve() -> None:
    # The front page of the repository, not of the site: the strict build does not read it, so its links are checked
    # here (every one a file of the checkout).
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 60
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert len(links) >= 10
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_the_pages_skip_few_blocks_and_say_why() -> None:
    blocks = [block for page in PAGES for block in blocks_of(page)]
    skipped = [(b.line, b.skip) for b in blocks if b.skip]
    assert sum(b.runs for b in blocks) >= 25, "too few blocks found to run: is the parser broken?"
    assert len(skipped) <= 10 and all(len(reason or "") > 20 for _, reason in skipped), skipped
    assert all(b.lang in {"bash", "console", "python", "yaml", "json", "text"} for b in blocks)


def test_the_data_blocks_parse() -> None:
    # The yaml files the blocks write are read by the blocks after them (a seed file, a policy); the rest are shown.
    data = [(page, block) for page in PAGES for block in blocks_of(page) if block.lang in {"yaml", "json"}]
    assert data
    for page, block in data:
        assert isinstance(yaml.safe_load(block.text), dict), f"{page} line {block.line}"


README_PAGE = "../README.md"
# The README once more, last, against the mocks every page has used: it must work on a used mock as on a fresh one.
WITH_CODE = [page for page in PAGES if any(block.runs for block in blocks_of(page))] * PASSES + [README_PAGE]


@pytest.mark.parametrize("page", WITH_CODE)
def test_every_block_of_the_page_runs_as_written(page: str, mocks: tuple[dict[str, int], Path], tmp_path: Path) -> None:
    ports, home = mocks
    to_run = [block for block in blocks_of(page) if block.runs]
    work = tmp_path / "terminal"
    work.mkdir()
    done = run_script(script_of(to_run, ports, page), work, home, timeout=180)
    where = [line for line in done.stderr.splitlines() if line.startswith(f"=== {page} line")]
    assert done.returncode == 0, (
        f"{where[-1] if where else 'before the first block'} failed with exit {done.returncode}:\n"
        f"--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"
    )
    assert len(where) == len(to_run)
    assert "Traceback" not in done.stdout + done.stderr
    mismatches = console_mismatches(to_run, work, ports)
    assert not mismatches, f"{page}: a console block printed other than it shows:\n" + "\n".join(mismatches)


def test_the_site_builds_with_strict(tmp_path: Path) -> None:
    built = subprocess.run(
        # Not --quiet: it hides the warnings from --strict's count, and a broken link would pass.
        [str(VENV_BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1", "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "site" / "reference" / "control-api" / "index.html").exists()
