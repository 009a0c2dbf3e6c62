"""The README's quickstart runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def test_the_local_quickstart_runs_and_finds_the_cat() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart:local -->\n```python\n(.*?)```", readme, re.DOTALL)
    assert block, "the README lost its local quickstart"
    finished = subprocess.run(
        [sys.executable, "-c", block.group(1)], capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    # The two sentences about a cat sitting come first, in either order.
    assert {line.split("  ", 1)[1] for line in lines[:2]} == {
        "The cat sat on the mat.",
        "The kitten is sitting on a rug.",
    }
    assert lines[2].startswith("(4, 1024)")
