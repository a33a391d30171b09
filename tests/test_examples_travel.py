"""The examples run where a reader puts them: each folder copied out of the checkout, run with the installed package.

The docs quote them and tell the reader to copy them into their own repository; a `from examples...` import
(this checkout's folder name) worked here and nowhere else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PYTHON_FOLDERS = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and any(p.glob("test_*.py")))


def test_every_python_example_is_checked() -> None:
    assert PYTHON_FOLDERS == ["balance_watch", "inbound_sms"]


@pytest.mark.parametrize("folder", PYTHON_FOLDERS)
def test_an_example_folder_runs_copied_into_another_repository(folder: str, tmp_path: Path) -> None:
    theirs = tmp_path / "their-repository" / "tests"
    shutil.copytree(EXAMPLES / folder, theirs, ignore=shutil.ignore_patterns("__pycache__"))
    # Only the installed packages: not this checkout's folders (PYTHONPATH), nor its root.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PYTEST"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "tests"],
        cwd=theirs.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
