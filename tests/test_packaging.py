"""One honest distribution: the wheel built from a checkout, installed into a fresh venv from PyPI alone, embeds.

The wheel is built from a copy of the checkout's files (tracked, plus new ones not ignored), the way
`pip install <checkout>` builds it, and installed with its dependencies (no `--no-deps`: the point is that
PyPI's packages alone suffice) into a venv that has nothing else. A script run by that venv embeds against the
reference server running in this test process; the optional features say which extra they need.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import embedkit
import numpy as np
import pytest
from embedkit import Embedder
from embedkit_server import DEV_TOKEN
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# One worker runs the whole module under pytest-xdist: its wheel and fresh venv (module fixtures) are then built
# once, not once on each worker that happens to draw one of its tests.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]
# Base requirements of a plain client: the wrapper's and the generated client's (attrs), nothing else.
BASE_REQUIREMENTS = {"attrs", "httpx", "numpy", "orjson", "pybase64", "pysimdjson", "tqdm"}
TEXTS = ["The cat sat on the mat.", "Quarterly revenue grew by ten percent.", "A dog slept in the sun."]

SCRIPT = r"""
import asyncio, hashlib, importlib, importlib.metadata, importlib.util, json, sys
import embedkit, embedkit_generated
from embedkit import AsyncEmbedder, Embedder, MissingDependencyError

url, token, texts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
digest = lambda result: hashlib.sha256(result.vectors.tobytes()).hexdigest()
# The reference server ships too, but importing it needs the `server` extra: only locate it.
where = [embedkit.__file__, embedkit_generated.__file__, importlib.util.find_spec("embedkit_server").origin]
out = {"version": embedkit.__version__, "files": where}
with Embedder.mistral(base_url=url, api_key=token) as embedder:
    out["mistral"] = digest(embedder.embed(texts))
with Embedder.cortecs(base_url=url, api_key=token, preference="speed") as embedder:
    out["cortecs"] = digest(embedder.embed(texts))

async def run():
    async with AsyncEmbedder.mistral(base_url=url, api_key=token) as embedder:
        return digest(await embedder.embed(texts))

out["async"] = asyncio.run(run())
out["missing"] = {}
for module in ("embedkit.langchain", "embedkit.llamaindex", "embedkit.dask"):
    try:
        importlib.import_module(module)
    except MissingDependencyError as error:
        out["missing"][module] = str(error)
out["distributions"] = sorted(d.metadata["Name"].lower() for d in importlib.metadata.distributions())
print(json.dumps(out))
"""


def _checkout_copy(target: Path) -> Path:
    """The checkout's files as a user's clone has them: tracked, plus new files not ignored; no venv, no caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source, destination = ROOT / name, target / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet committed
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    return target


def _clean_env(**extra: str) -> dict[str, str]:
    # Nothing of this test's venv may leak into the fresh one.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    source = _checkout_copy(work / "checkout")
    # --no-deps here only skips building wheels of the dependencies; the install below resolves them from PyPI.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist"), str(source)],
        check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    (built,) = (work / "dist").glob("embedkit-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("fresh")
    # No pip inside: the outer pip installs into it (`--python`), which saves bootstrapping one.
    venv.EnvBuilder(with_pip=False).create(home / "venv")
    python = home / "venv" / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile", str(wheel)],
        check=True, env=_clean_env(), capture_output=True,
    )  # fmt: skip
    return home / "venv" / "bin"


def test_wheel_holds_the_three_packages_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = email.message_from_bytes(archive.read(f"embedkit-{embedkit.__version__}.dist-info/METADATA"))
        bundled_spec = archive.read("embedkit_server/openapi.yaml")
    top = {name.split("/")[0] for name in names}
    assert top == {"embedkit", "embedkit_generated", "embedkit_server", f"embedkit-{embedkit.__version__}.dist-info"}
    generated = {
        path.relative_to(ROOT / "generated_client").as_posix()
        for path in (ROOT / "generated_client" / "embedkit_generated").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert generated <= set(names), "the generated client must ship whole"
    assert {
        "embedkit/py.typed",
        "embedkit_generated/py.typed",
        "embedkit/langchain.py",
        "embedkit/llamaindex.py",
    } <= set(names)
    # The server validates against the contract itself: a real copy of it, not a dangling link.
    assert bundled_spec == (ROOT / "openapi.yaml").read_bytes()
    assert not any(name.endswith((".pyc", ".sqlite")) or "/tests/" in name for name in names)

    assert metadata["Version"] == embedkit.__version__
    requirements = metadata.get_all("Requires-Dist") or []
    parsed = [Requirement(r) for r in requirements]
    assert {r.name.lower() for r in parsed if r.marker is None} == BASE_REQUIREMENTS
    # What the generator declares for its package must come with embedkit, which ships that package.
    generator_declared = tomllib.loads((ROOT / "generated_client" / "pyproject.toml").read_text(encoding="utf-8"))
    assert {Requirement(r).name.lower() for r in generator_declared["project"]["dependencies"]} <= BASE_REQUIREMENTS
    assert not any(r.name.lower().replace("_", "-") == "generated-client" for r in parsed)
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert {"parquet", "server", "dask", "langchain", "llamaindex", "dev"} <= extras


def test_fresh_venv_embeds_against_the_reference_server(fresh_venv: Path, server: Any, tmp_path: Path) -> None:
    completed = subprocess.run(
        [str(fresh_venv / "python"), "-c", SCRIPT, server.url, DEV_TOKEN, json.dumps(TEXTS)],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    out = json.loads(completed.stdout)
    # Imported from the fresh venv, not from this checkout.
    assert all(str(fresh_venv.parent) in path for path in out["files"]), out["files"]
    assert out["version"] == embedkit.__version__

    def digest(vectors: np.ndarray[Any, Any]) -> str:
        import hashlib

        return hashlib.sha256(vectors.tobytes()).hexdigest()

    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        assert out["mistral"] == out["async"] == digest(embedder.embed(TEXTS).vectors)
    with Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN, preference="speed") as embedder:
        assert out["cortecs"] == digest(embedder.embed(TEXTS).vectors)

    # Only PyPI distributions, and only the plain client's: no local generated-client, no extras.
    assert "embedkit" in out["distributions"]
    assert not {"generated-client", "pyarrow", "uvicorn", "langchain-core", "llama-index-core"} & set(
        out["distributions"]
    )
    for module, extra in (("langchain", "langchain"), ("llamaindex", "llamaindex"), ("dask", "dask")):
        assert f"pip install 'embedkit[{extra}]'" in out["missing"][f"embedkit.{module}"]


def test_fresh_venv_cli_names_the_extras(fresh_venv: Path, server: Any, tmp_path: Path) -> None:
    def embedkit_command(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(fresh_venv / "embedkit"), *arguments], cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env=_clean_env(MISTRAL_API_KEY=DEV_TOKEN), check=False,
        )  # fmt: skip

    version = embedkit_command("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"embedkit {embedkit.__version__}")

    serve = embedkit_command("serve", "--port", "1")
    assert serve.returncode == 1
    assert "embedkit serve needs" in serve.stderr
    assert "pip install 'embedkit[server]'" in serve.stderr

    (tmp_path / "texts.txt").write_text("\n".join(TEXTS), encoding="utf-8")
    sent = server.app.inputs_embedded
    parquet = embedkit_command("embed", "texts.txt", "out.parquet", "--base-url", server.url, "--no-cache")
    assert parquet.returncode == 1
    assert "pip install 'embedkit[parquet]'" in parquet.stderr
    assert server.app.inputs_embedded == sent, "nothing is paid for before the missing extra is reported"
    assert not list(tmp_path.glob("*parquet*"))

    npy = embedkit_command("embed", "texts.txt", "out.npy", "--base-url", server.url, "--no-cache")
    assert npy.returncode == 0, npy.stderr
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        assert np.array_equal(np.load(tmp_path / "out.npy"), embedder.embed(TEXTS).vectors)


def test_dev_install_is_editable_from_this_checkout() -> None:
    # Run from the repository root, where the folder generated_client/ (no __init__.py) could pass for a namespace
    # package and hide the real one: `make install` puts the source folders on sys.path so that it cannot.
    script = (
        "import embedkit as e, embedkit_generated as g, embedkit_server as r; print(e.__file__, g.__file__, r.__file__)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    files = completed.stdout.split()
    for file, folder in zip(files, ("wrapper", "generated_client", "server"), strict=True):
        assert Path(file).resolve().is_relative_to(ROOT / folder)
    assert (
        subprocess.run(
            [sys.executable, "-c", "from embedkit_generated import AuthenticatedClient"], cwd=ROOT, check=False
        ).returncode
        == 0
    )
