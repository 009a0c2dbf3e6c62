"""Every code block of README.md and docs/*.md runs, against the reference server on loopback (issue 21, item 10).

The convention, stated in README.md's "What the tests check":
- a `python` or `sh` block runs in a fresh folder holding the input files below, with `texts`, `sentences` and
  `key` defined (GIVEN); a block without a language (a diagram) is not code;
- `<!-- docs-test: real-service -->` on the line before a block: written for the real services; it runs with the
  server's URL in place of theirs (environment and text), the server's development key in the key variables, and
  batch jobs polled every 0.1 s (the server finishes a job at once; a real one takes minutes);
- `<!-- docs-test: skip: REASON -->`: not run, for the reason given (there must be one);
- `print(...)  # → X` in a python block: the block must print a line X (in order with the other such lines).

Blocks run in their own processes (as a reader would paste them), each bounded in time; a shell block runs line
by line, and a line starting `embedkit serve` must come up (say where it serves) and is then stopped.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from embedkit_server import DEV_TOKEN

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?:^<!--\s*(?P<marker>[^\n]*?)\s*-->\n)?^```(?P<language>[\w-]*)\n(?P<code>.*?)^```", re.M | re.S)
RUNNABLE = {"python": "python", "sh": "sh", "console": "sh", "bash": "sh", "shell": "sh"}
# The real services' base URLs, as the docs write them.
REAL_URLS = ("https://api.cortecs.ai/v1", "https://api.mistral.ai", "https://cortecs.ai")
CORPUS = [json.loads(line)["text"] for line in (ROOT / "demo" / "corpus.jsonl").read_text("utf-8").splitlines()]
SENTENCES = ["The cat sat on the mat.", "A dog slept in the sun.", "Quarterly revenue grew by ten percent.",
             "The kitten is sitting on a rug."]  # fmt: skip
GIVEN = f"texts = {CORPUS[:40]!r}\nsentences = {SENTENCES!r}\nkey = {DEV_TOKEN!r}\n"
TIMEOUT = 60


@dataclass(frozen=True)
class Block:
    where: str  # file:line, for the test id and messages
    language: str
    code: str
    real_service: bool
    skip: str | None


def blocks() -> list[Block]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            language = RUNNABLE.get(match["language"])
            if language is None:
                continue
            marker = (match["marker"] or "").strip()
            skip = None
            if marker.startswith("docs-test: skip"):
                skip = marker.removeprefix("docs-test: skip").strip(" :")
                assert skip, f"{document.name}: a skipped block must say why"
            elif marker.startswith("docs-test") and marker != "docs-test: real-service":
                raise AssertionError(f"{document.name}: unknown marker {marker!r}")
            line = text[: match.start("code")].count("\n") + 1
            where = f"{document.relative_to(ROOT)}:{line}"
            found.append(Block(where, language, match["code"], marker == "docs-test: real-service", skip))
    return found


ALL = blocks()


def write_inputs(folder: Path) -> None:
    """The files the docs' commands read: one text a line, JSONL with `body`/`doc_id`, CSV, Parquet, a JSONL of
    papers with metadata (`doc`, `text`, `lang`), and a folder of Markdown files (`docs/intro.md` long enough for
    several chunks of 512 tokens)."""
    texts = CORPUS[:40]
    (folder / "corpus.txt").write_text("".join(f"{t}\n" for t in texts), encoding="utf-8")
    (folder / "texts.txt").write_text("".join(f"{t}\n" for t in texts[:10]), encoding="utf-8")
    (folder / "docs.jsonl").write_text(
        "".join(json.dumps({"doc_id": f"d{i}", "body": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8"
    )
    with (folder / "docs.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(enumerate(texts))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": texts}), folder / "corpus.parquet")
    papers = [{"doc": f"paper-{i}", "text": " ".join(CORPUS[i * 30 : i * 30 + 30]), "lang": "en" if i % 2 else "fr"}
              for i in range(6)]  # fmt: skip
    (folder / "papers.jsonl").write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    (folder / "docs").mkdir()
    (folder / "docs" / "intro.md").write_text("\n\n".join(" ".join(CORPUS[i : i + 10]) for i in range(0, 300, 10)))
    (folder / "docs" / "guide.md").write_text("# A guide\n\n" + " ".join(CORPUS[:20]), encoding="utf-8")


def environment(block: Block, url: str) -> dict[str, str]:
    """The block's environment: the server's URL and key for a real-service block, none of them otherwise."""
    names = ("MISTRAL_API_KEY", "CORTECS_API_KEY", "MISTRAL_BASE_URL", "CORTECS_BASE_URL",
             "CORTECS_SERVERLESS_BASE_URL")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("EMBEDKIT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `embedkit` as installed
    if block.real_service:
        env |= {"MISTRAL_API_KEY": DEV_TOKEN, "CORTECS_API_KEY": DEV_TOKEN}
        env |= {"MISTRAL_BASE_URL": url, "CORTECS_BASE_URL": url, "CORTECS_SERVERLESS_BASE_URL": url}
    return env


def swapped(block: Block, code: str, url: str) -> str:
    """A real-service block's text with the server in place of the services, and batch jobs polled quickly."""
    if not block.real_service:
        return code
    for real in REAL_URLS:
        code = code.replace(real, url)
    code = re.sub(r"poll_interval=\d+(\.\d+)?", "poll_interval=0.1", code)
    code = re.sub(r"--poll-interval[ =]\d+(\.\d+)?", "--poll-interval 0.1", code)
    return re.sub(r"(--batch-api)(?![^\n#]*--poll-interval)", r"\1 --poll-interval 0.1", code)


def promised(code: str) -> list[str]:
    """What the block's `print(...)  # → X` lines say they print, in order."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*\)\s*#\s*→\s*(.+)$", code, re.M)]


def run_python(block: Block, folder: Path, url: str) -> None:
    code = swapped(block, block.code, url)
    done = subprocess.run([sys.executable, "-c", GIVEN + code], cwd=folder, env=environment(block, url),
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)  # fmt: skip
    assert done.returncode == 0, f"{block.where} failed:\n{done.stderr[-3000:]}"
    lines = iter(line.strip() for line in done.stdout.splitlines())
    for expected in promised(block.code):
        assert any(line == expected for line in lines), f"{block.where}: no line {expected!r} in\n{done.stdout}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_sh(block: Block, folder: Path, url: str) -> None:
    env = environment(block, url)
    commands = swapped(block, block.code, url).replace("\\\n", " ").splitlines()
    for command in (c.strip() for c in commands):
        if not command or command.startswith("#"):
            continue
        if command.startswith("embedkit serve"):
            serve(block, re.sub(r"--port[ =]\d+", f"--port {free_port()}", command), folder, env)
            continue
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT, check=False)  # fmt: skip
        assert done.returncode == 0, f"{block.where}: `{command}` failed:\n{done.stderr[-3000:]}"


def serve(block: Block, command: str, folder: Path, env: dict[str, str]) -> None:
    """A server command: it must say where it serves within the time limit; then it is stopped."""
    server = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=folder, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("reference server on http://127.0.0.1:"), f"{block.where}: `{command}`: {line!r}"
        assert time.monotonic() < deadline
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_the_docs_have_blocks_and_each_skip_says_why() -> None:
    assert len([b for b in ALL if b.skip is None]) >= 10
    assert all(b.skip for b in ALL if b.skip is not None)


@pytest.mark.parametrize("block", ALL, ids=[b.where for b in ALL])
def test_every_code_block_runs(block: Block, server: Any, tmp_path: Path) -> None:
    if block.skip is not None:
        pytest.skip(block.skip)
    write_inputs(tmp_path)
    (run_python if block.language == "python" else run_sh)(block, tmp_path, server.url)
