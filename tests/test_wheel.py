"""The package as another team gets it, each way docs/how-to/install.md names: `make dist`'s wheel and sdist, each
installed in turn into a fresh virtual environment outside the repository, and pipx from a git URL with the mcp extra.

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
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


Done = tuple[Path, subprocess.CompletedProcess[str]]
"""An install's folder of commands, and what its installer answered."""


@dataclass(frozen=True)
class Builds:
    """`make dist`'s two files, a fresh environment with the wheel's dependencies, and pipx's install from a git URL,
    made side by side (each mostly waits on pip)."""

    dists: Dists
    bin: Path
    pipx: Done | None


def _venv_with_dependencies(root: Path, wheel: Path) -> Path:
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    # --no-compile: Python compiles what the tests import as they import it, not every module of every dependency.
    command = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-compile", str(wheel), "pytest"]
    done = _run(command, timeout=300)
    assert done.returncode == 0, done.stderr
    return bin_dir


def _pipx_env(root: Path) -> dict[str, str]:
    bin_dir = root / "bin"
    return {
        **_clean_env(bin_dir),
        "PIPX_HOME": str(root / "home"),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(root),
    }


def _pipx_install(root: Path) -> Done | None:
    """pipx's install from a git URL: the team's remote, here a bare clone; pip builds the checkout's HEAD commit."""
    if not (REPOSITORY / ".git").exists() or not shutil.which("git"):
        return None
    bare = root / "vonage-account-mock.git"
    cloned = _run(["git", "clone", "--quiet", "--bare", str(REPOSITORY), str(bare)], timeout=120)
    if cloned.returncode != 0:
        return root / "bin", cloned
    commit = _run(["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"]).stdout.strip()
    spec = f"vonage-account-mock[mcp] @ git+file://{bare}@{commit}"
    command = [sys.executable, "-m", "pipx", "install", "--quiet", "--pip-args=--no-compile", spec]
    return root / "bin", _run(command, env=_pipx_env(root), cwd=root, timeout=300)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    root = tmp_path_factory.mktemp("dist")
    assert REPOSITORY not in root.parents
    with ThreadPoolExecutor(1) as pool:
        pipx = pool.submit(_pipx_install, root / "pipx")
        # The command `make dist` runs: the sdist first, then the wheel from the unpacked sdist.
        built = _run([sys.executable, "-m", "build", "--outdir", str(root), str(REPOSITORY)], timeout=240)
        assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
        (sdist,) = root.glob("vonage_account_mock-*.tar.gz")
        (wheel,) = root.glob("vonage_account_mock-*.whl")
        bin_dir = _venv_with_dependencies(root / "fresh", wheel)
        yield Builds(Dists(sdist, wheel), bin_dir, pipx.result())


@pytest.fixture(scope="module")
def dists(builds: Builds) -> Dists:
    return builds.dists


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def installed(request: pytest.FixtureRequest, builds: Builds, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The package installed from one of make dist's files, in place of the other's (their dependencies are the same:
    one environment serves both, and only the package itself is installed again, from the sdist built anew)."""
    way: str = request.param
    target = builds.dists.wheel if way == "wheel" else builds.dists.sdist
    command = [str(builds.bin / "python"), "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps"]
    done = _run([*command, "--force-reinstall", str(target)], timeout=300)
    assert done.returncode == 0, done.stderr
    consumer = tmp_path_factory.mktemp(f"consumer-{way}")
    for package in ("mock_server", "account_ops"):
        (consumer / package).mkdir(parents=True)
        (consumer / package / "__init__.py").write_text(f'"""The consumer\'s own {package}."""\nOWNER = "consumer"\n')
    (consumer / "tests").mkdir()
    (consumer / "tests" / "test_consumer.py").write_text(CONSUMER_TEST)
    return Installed(way=way, bin=builds.bin, consumer=consumer, env=_clean_env(builds.bin))


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
        *(
            f"vonage_account_mock/control/static/{name}"
            for name in ("index.html", "sign-in.html", "dashboard.js", "dashboard.css", "favicon.svg")
        ),
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


def test_the_installed_mock_serves_its_dashboard(installed: Installed, served: str) -> None:
    for path, media_type in (("/_mock/dashboard/", "text/html"), ("/_mock/dashboard/dashboard.js", "text/javascript")):
        answer = httpx.get(served + path, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(media_type)


def test_the_mcp_server_without_its_extra_says_how_to_get_it(installed: Installed) -> None:
    result = _run([str(installed.bin / "vonage-account"), "mcp"], cwd=installed.consumer, env=installed.env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the MCP server needs the mcp extra (mcp is missing): pip install 'vonage-account-mock[mcp]'"
    )


def test_pipx_installs_both_commands_from_a_git_url(builds: Builds) -> None:
    done = builds.pipx
    if done is None:
        pytest.skip("not a git checkout")
    bin_dir, answer = done
    assert answer.returncode == 0, answer.stdout[-2000:] + answer.stderr[-2000:]
    env = _pipx_env(bin_dir.parent)
    for command in ("vonage-account", "vonage-account-mock"):
        version = _run([str(bin_dir / command), "--version"], env=env)
        assert version.returncode == 0 and re.fullmatch(rf"{command} \d+\.\d+\.\d+\n", version.stdout), version
    # With the extra, the server gets as far as the credentials.
    agent = _run([str(bin_dir / "vonage-account"), "mcp"], env={**env, "VONAGE_API_KEY": ""}, timeout=60)
    assert agent.returncode == 2 and "VONAGE_API_KEY" in agent.stderr and "mcp extra" not in agent.stderr, agent
