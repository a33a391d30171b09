"""The Node example, as a Node team runs it: the mock as a CI service (`with-mock.sh`), the official `@vonage/accounts`
SDK unmodified, `node --test`; the folder copied into a repository of its own, with the SDK in its node_modules."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "node_accounts"


def test_the_node_suite_passes_against_the_mock_as_a_ci_service(tmp_path: Path) -> None:
    assert shutil.which("node"), "Node 20 is needed: make test installs the npm packages with it"
    sdk = ROOT / "node_modules" / "@vonage" / "accounts"
    assert sdk.is_dir(), "no @vonage/accounts in node_modules: run `make install` (npm ci)"
    theirs = tmp_path / "their-repository"
    shutil.copytree(EXAMPLE, theirs)
    (theirs / "node_modules").symlink_to(ROOT / "node_modules")  # what their `npm install` would have made
    # The commands on PATH as in their CI (the environment the mock is installed in), nothing else of ours.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VONAGE_", "PYTEST"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        ["bash", "with-mock.sh", "node", "--test", "accounts.test.mjs"],
        cwd=theirs,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert re.search(r"^# pass [1-9]\d*$", done.stdout, re.M) and re.search(r"^# fail 0$", done.stdout, re.M), output
    assert "Vonage Account API mock on http://127.0.0.1:" in done.stdout, "the service's first line, for the CI log"
    assert not list(tmp_path.glob("vonage-account-mock.*.url")), "the URL file outlived the mock"
