"""The package as another team gets it, each way the README names: `make dist`'s sdist and wheel, each installed into
a fresh virtual environment outside the repository, and pipx from a git URL with the mcp extra.

The consumer repository here has its own `mock_server/` and `account_ops/` packages, the names our folders carry:
they must not shadow anything of ours (the plugin, the spec files, the two commands).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
OUR_PACKAGES = {"vonage_account_mock", "vonage_account_ops", "vonage_account_client", "vonage_account_spec"}

CONSUMER_TEST = '''
"""A consumer's suite: their own mock_server and account_ops packages sit beside it."""

from decimal import Decimal
from pathlib import Path

import account_ops
import mock_server
import vonage_account_spec
from vonage_account_client.api.balance import get_balance
from vonage_account_mock.testing import VonageMock


def test_the_consumer_packages_are_their_own() -> None:
    assert mock_server.OWNER == "consumer"
    assert account_ops.OWNER == "consumer"


def test_the_plugin_serves_a_seeded_account(vonage_mock: VonageMock) -> None:
    account = vonage_mock.seed_account(balance="12.34")
    balance = get_balance.sync(client=vonage_mock.client(account.api_key, account.api_secret))
    assert balance is not None and Decimal(str(balance.value)) == Decimal("12.34")
    vonage_mock.assert_called("get_balance", times=1)


def test_the_specs_are_package_data() -> None:
    for path in (vonage_account_spec.spec_path(), vonage_account_spec.control_spec_path()):
        assert path.is_file() and "site-packages" in path.parts, path
    assert vonage_account_spec.load_spec(vonage_account_spec.spec_path())["openapi"] == "3.0.3"
'''


@dataclass(frozen=True)
class Dists:
    """What `make dist` builds: the sdist, and the wheel built from it."""

    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Installed:
    """A fresh environment with the package installed one way, and a consumer repository beside it."""

    way: str
    bin: Path
    consumer: Path
    env: dict[str, str]


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload,no-any-return]


def _clean_env(bin_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    root = tmp_path_factory.mktemp("dist")
    assert REPOSITORY not in root.parents
    # The command `make dist` runs: the sdist first, then the wheel from the unpacked sdist.
    built = _run([sys.executable, "-m", "build", "--outdir", str(root), str(REPOSITORY)], timeout=240)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (sdist,) = root.glob("vonage_account_mock-*.tar.gz")
    (wheel,) = root.glob("vonage_account_mock-*.whl")
    return Dists(sdist=sdist, wheel=wheel)


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def installed(request: pytest.FixtureRequest, dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    way: str = request.param
    root = tmp_path_factory.mktemp(way)
    target = str(dists.wheel if way == "wheel" else dists.sdist)
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    installed = _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", target, "pytest"], timeout=300)
    assert installed.returncode == 0, installed.stderr

    consumer = root / "consumer"
    for package in ("mock_server", "account_ops"):
        (consumer / package).mkdir(parents=True)
        (consumer / package / "__init__.py").write_text(f'"""The consumer\'s own {package}."""\nOWNER = "consumer"\n')
    (consumer / "tests").mkdir()
    (consumer / "tests" / "test_consumer.py").write_text(CONSUMER_TEST)
    return Installed(way=way, bin=bin_dir, consumer=consumer, env=_clean_env(bin_dir))


def test_the_sdist_holds_the_sources_and_no_checkout_clutter(dists: Dists) -> None:
    import tarfile

    with tarfile.open(dists.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in ("pyproject.toml", "README.md", "openapi/vonage_account_spec/account.yaml"):
        assert needed in names
    assert not {name.split("/", 1)[0] for name in names} & {"tests", "node_modules", ".venv", "bench", "examples"}
    assert not [name for name in names if "__pycache__" in name]


def test_the_wheel_has_no_top_level_package_but_ours(dists: Dists, tmp_path: Path) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = wheel.namelist()
    # `pip install /path/to/checkout` builds its wheel from the checkout, not the sdist: the same files.
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPOSITORY)])
    assert built.returncode == 0, built.stderr
    (from_path,) = tmp_path.glob("vonage_account_mock-*.whl")
    with zipfile.ZipFile(from_path) as wheel:
        assert sorted(wheel.namelist()) == sorted(names)
    top_level = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == OUR_PACKAGES
    for data in (
        "vonage_account_spec/account.yaml",
        "vonage_account_spec/mock-control.yaml",
        "vonage_account_mock/state/data/pricing.json",
        *(f"{package}/py.typed" for package in OUR_PACKAGES),
    ):
        assert data in names


def test_the_plugin_loads_through_its_entry_point_beside_shadowing_packages(installed: Installed) -> None:
    # `python -m pytest` puts the consumer's folder first on sys.path: the case where their packages shadow ours.
    result = _run(
        [str(installed.bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "tests"],
        cwd=installed.consumer,
        env=installed.env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    listed = _run(
        [str(installed.bin / "python"), "-m", "pytest", "--fixtures", "-p", "no:cacheprovider", "tests"],
        cwd=installed.consumer,
        env=installed.env,
        timeout=120,
    )
    assert "vonage_mock_in_process" in listed.stdout
    disabled = _run(
        [str(installed.bin / "python"), "-m", "pytest", "-q", "-p", "no:vonage_account_mock", "tests"],
        cwd=installed.consumer,
        env=installed.env,
        timeout=120,
    )
    assert "fixture 'vonage_mock' not found" in disabled.stdout


@pytest.fixture
def served(installed: Installed) -> Iterator[str]:
    process = subprocess.Popen(
        [str(installed.bin / "vonage-account-mock"), "serve", "--port", "0", "--log-level", "warning"],
        cwd=installed.consumer,
        env={**installed.env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"mock on (\S+)", first)
        assert match, first + (process.stderr.read() if process.poll() is not None and process.stderr else "")
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def test_both_commands_run_from_the_installed_package(installed: Installed, served: str) -> None:
    env = {
        **installed.env,
        "VONAGE_REST_URL": served,
        "VONAGE_API_URL": served,
        "VONAGE_API_KEY": "wheel001",
        "VONAGE_API_SECRET": "Wheel1secret",
    }
    result = _run([str(installed.bin / "vonage-account"), "--json", "balance"], cwd=installed.consumer, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"value": "10.00"' in result.stdout


def test_the_mcp_server_without_its_extra_says_how_to_get_it(installed: Installed) -> None:
    result = _run([str(installed.bin / "vonage-account"), "mcp"], cwd=installed.consumer, env=installed.env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the MCP server needs the mcp extra (mcp is missing): pip install 'vonage-account-mock[mcp]'"
    )


@pytest.mark.skipif(not (REPOSITORY / ".git").exists() or not shutil.which("git"), reason="not a git checkout")
def test_pipx_installs_both_commands_from_a_git_url(tmp_path: Path) -> None:
    # The team's remote, here a bare clone; pip builds what the commit holds (the checkout's HEAD).
    bare = tmp_path / "vonage-account-mock.git"
    cloned = _run(["git", "clone", "--quiet", "--bare", str(REPOSITORY), str(bare)], timeout=120)
    assert cloned.returncode == 0, cloned.stderr
    commit = _run(["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"]).stdout.strip()
    bin_dir = tmp_path / "bin"
    env = {
        **_clean_env(bin_dir),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    spec = f"vonage-account-mock[mcp] @ git+file://{bare}@{commit}"
    done = _run([sys.executable, "-m", "pipx", "install", "--quiet", spec], env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for command in ("vonage-account", "vonage-account-mock"):
        version = _run([str(bin_dir / command), "--version"], env=env)
        assert version.returncode == 0 and re.fullmatch(rf"{command} \d+\.\d+\.\d+\n", version.stdout), version
    # With the extra, the server gets as far as the credentials.
    agent = _run([str(bin_dir / "vonage-account"), "mcp"], env={**env, "VONAGE_API_KEY": ""}, timeout=60)
    assert agent.returncode == 2 and "VONAGE_API_KEY" in agent.stderr and "mcp extra" not in agent.stderr, agent
