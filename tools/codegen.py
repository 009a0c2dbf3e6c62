"""Build generated_client/ from openapi.yaml, or prove the committed copy is what the generator makes.

The generated client is never edited by hand, so the only way it can be right is to be exactly the
generator's output for the committed contract. Both `make generate` and `make check-generated` (and the
test suite, through `check`) run the generator through this one function, so the command cannot drift
between them.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "generator-config.yaml"
TEMPLATES = ROOT / "generator-templates"
OUTPUT = ROOT / "generated_client"
# The import name the generator writes inside OUTPUT (generator-config.yaml's package_name_override): unique to
# this project, so installing embedkit never shadows another project's `generated_client`.
PACKAGE = "embedkit_generated"
# Left behind by installing or importing the package; not generator output.
IGNORED_PARTS = {"__pycache__", ".pdm-build", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
IGNORED_SUFFIXES = (".egg-info", ".pyc")


def generate(spec: Path, output: Path) -> None:
    """Run the pinned generator; its ruff post-hooks must be the venv's pinned ruff, hence the PATH."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--path",
        str(spec),
        "--config",
        str(CONFIG),
        "--custom-template-path",
        str(TEMPLATES),
        "--meta",
        "pdm",
        "--output-path",
        str(output),
        "--overwrite",
        "--fail-on-warning",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}")


def _files(tree: Path) -> dict[str, Path]:
    found = {}
    for path in tree.rglob("*"):
        relative = path.relative_to(tree)
        if not path.is_file() or IGNORED_PARTS.intersection(relative.parts):
            continue
        if any(part.endswith(IGNORED_SUFFIXES) for part in relative.parts):
            continue
        found[relative.as_posix()] = path
    return found


def drift(spec: Path = SPEC, committed: Path = OUTPUT) -> list[str]:
    """Regenerate into a temporary folder and describe every file that differs from `committed`."""
    with tempfile.TemporaryDirectory(prefix="codegen-check-") as scratch:
        fresh = Path(scratch) / committed.name
        generate(spec, fresh)
        expected, actual = _files(fresh), _files(committed)
        problems = []
        for name in sorted(expected.keys() - actual.keys()):
            problems.append(f"missing from {committed.name}/: {name}")
        for name in sorted(actual.keys() - expected.keys()):
            problems.append(f"not made by the generator: {committed.name}/{name}")
        for name in sorted(expected.keys() & actual.keys()):
            want, have = expected[name].read_bytes(), actual[name].read_bytes()
            if want != have:
                diff = difflib.unified_diff(
                    have.decode(errors="replace").splitlines(),
                    want.decode(errors="replace").splitlines(),
                    f"committed/{name}",
                    f"regenerated/{name}",
                    lineterm="",
                    n=1,
                )
                excerpt = "\n".join(list(diff)[:30])
                problems.append(f"differs: {committed.name}/{name}\n{excerpt}")
        return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: `generate` rewrites generated_client/, `check` reports drift and exits 1 on any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "check"])
    args = parser.parse_args(argv)
    if args.command == "generate":
        with tempfile.TemporaryDirectory(prefix="codegen-") as scratch:
            fresh = Path(scratch) / OUTPUT.name
            generate(SPEC, fresh)
            # Replace only what the generator owns, so an editable install pointing here stays valid.
            shutil.rmtree(OUTPUT / PACKAGE, ignore_errors=True)
            for name, path in _files(fresh).items():
                target = OUTPUT / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        print(f"generated {OUTPUT.relative_to(ROOT)}/ from {SPEC.name}")
        return 0
    problems = drift()
    if problems:
        print(
            "generated_client/ has drifted from openapi.yaml (run `make generate` and commit):\n" + "\n".join(problems),
            file=sys.stderr,
        )
        return 1
    print("generated_client/ matches openapi.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
