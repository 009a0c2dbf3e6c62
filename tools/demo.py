"""`make demo`: start the reference server, embed the bundled corpus through the CLI, search it, stop the server.

No network and no key: the local reference server accepts its published development key. Everything goes
through the `embedkit` command, as a user would type it; the commands are printed before they run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from embedkit_server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CORPUS = ROOT / "demo" / "corpus.jsonl"
OUTPUT = ROOT / "build" / "demo" / "corpus.parquet"
QUERIES = [
    "boiling pasta in salted water",
    "telescope pictures of a galaxy",
    "interest rates and inflation",
    "training plan for a marathon",
    "a bug in the server code",
]


def _run(*arguments: str, env: dict[str, str]) -> None:
    print(f"\n$ embedkit {shlex.join(arguments)}", flush=True)
    subprocess.run([str(BIN / "embedkit"), *arguments], env=env, check=True)  # noqa: S603


def main() -> int:
    """Run the demo; the server is stopped whatever happens."""
    env = {**os.environ, "MISTRAL_API_KEY": "dev-token"}
    server = ServerProcess([str(BIN / "embedkit"), "serve"])
    print(f"$ embedkit serve --port {server.port}    # the local reference server, in the background", flush=True)
    with server as url:
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        for stale in (OUTPUT, OUTPUT.with_name(OUTPUT.name + ".cache.sqlite")):  # a fresh start, to show the cache
            stale.unlink(missing_ok=True)
        embed = ("embed", str(CORPUS.relative_to(ROOT)), str(OUTPUT.relative_to(ROOT)), "--id-field", "id",
                 "--with-text", "--base-url", url, "--batch-size", "64", "--no-progress")  # fmt: skip
        _run(*embed, env=env)
        print("\n# the same job again (with --overwrite, as the output exists): every text comes from the cache",
              flush=True)  # fmt: skip
        _run(*embed, "--overwrite", env=env)
        for query in QUERIES:
            _run("search", str(OUTPUT.relative_to(ROOT)), query, "-k", "3", "--base-url", url, env=env)
    print("\nreference server stopped", flush=True)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
