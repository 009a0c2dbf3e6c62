"""Optional dependencies: a missing one is named with its extra; a broken import of our own is never disguised."""

from __future__ import annotations

import subprocess
import sys

import embedkit
import pytest
from embedkit import EmbeddingError, MissingDependencyError
from embedkit._cli import main
from embedkit._extras import require


def test_a_missing_dependency_names_its_extra() -> None:
    with pytest.raises(MissingDependencyError) as raised:
        require("embedkit_test_absent_dependency.sub", extra="parquet", feature="reading and writing Parquet")
    message = str(raised.value)
    assert message == (
        "reading and writing Parquet needs the optional dependency 'embedkit_test_absent_dependency', "
        "which is not installed: pip install 'embedkit[parquet]'"
    )
    # Code that guards optional imports with `except ImportError`, and the CLI's EmbeddingError handler, both catch it.
    assert isinstance(raised.value, ImportError)
    assert isinstance(raised.value, EmbeddingError)
    assert isinstance(raised.value.__cause__, ModuleNotFoundError)


def test_a_missing_module_of_our_own_is_not_called_a_missing_extra() -> None:
    with pytest.raises(ModuleNotFoundError) as raised:
        require("embedkit._no_such_module", extra="parquet", feature="anything")
    assert not isinstance(raised.value, MissingDependencyError)


def test_version_is_one_constant(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert embedkit.__version__ == version("embedkit")
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"embedkit {embedkit.__version__}\n"


def test_serve_with_the_server_extra_runs_the_reference_server() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "embedkit", "serve", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "--port" in completed.stdout
