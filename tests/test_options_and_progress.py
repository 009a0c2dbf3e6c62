"""Client defaults for call behaviour, option errors that list only the service's options, and progress bars that
move per batch at a sensible width (issue 21, items 3 and 9)."""

from __future__ import annotations

import os
import pty
import select
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from embedkit import Embedder, InputError, UnknownOptionError, _bulk, _cli, _progress
from embedkit._files import NpyOutput, Record
from embedkit_server import DEV_TOKEN

CORTECS_ONLY = ("preference", "allowed_providers", "eu_native", "allow_quantization", "allow_zero_data_retention",
                "enable_model_fallback", "fallbacks")  # fmt: skip


def test_truncate_and_normalize_are_accepted_as_client_defaults(server: Any) -> None:
    long_text = "word " * 20_000
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, truncate=True, normalize=True) as embedder:
        defaults = embedder.embed([long_text, "short"]).vectors
        explicit = embedder.embed([long_text, "short"], truncate=True, normalize=True).vectors
        assert np.array_equal(defaults, explicit)
        assert np.allclose(np.linalg.norm(defaults, axis=1), 1.0, atol=1e-5)
        assert embedder.estimate([long_text]).tokens <= 8192, "estimate() counts the text cut, as embed() sends it"
        with pytest.raises(InputError, match="truncate"):
            embedder.embed([long_text], truncate=False)  # a call still overrides the client's default
    with pytest.raises(InputError, match="truncate must be True or False"):
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, truncate="yes")


def test_an_unknown_option_lists_only_what_the_clients_service_takes(server: Any) -> None:
    with pytest.raises(UnknownOptionError) as raised:
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, truncat=True)
    message = str(raised.value)
    assert "did you mean 'truncate'?" in message
    assert "output_dimension" in message
    assert not [name for name in CORTECS_ONLY if name in message], message
    with (
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder,
        pytest.raises(UnknownOptionError) as call,
    ):
        embedder.embed("x", eu_nativ=True)
    assert not [name for name in CORTECS_ONLY if name in str(call.value)], str(call.value)
    with pytest.raises(UnknownOptionError, match=r"mistral client has no option 'fooo'\. Valid options:"):
        Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, fooo=1)
    with pytest.raises(UnknownOptionError) as cortecs:
        Embedder.cortecs(base_url=server.url, api_key=DEV_TOKEN, eu_nativ=True)
    assert "did you mean 'eu_native'?" in str(cortecs.value)


class Recorder:
    """Stands in for a tqdm bar: what it was moved by, in order."""

    def __init__(self) -> None:
        self.updates: list[int] = []
        self.closed = False

    def update(self, texts: int) -> None:
        self.updates.append(texts)

    def close(self) -> None:
        self.closed = True


def test_the_cli_bar_moves_at_each_batch_not_each_window(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bars: list[Recorder] = []
    monkeypatch.setattr(_bulk, "new_bar", lambda **_: bars.append(Recorder()) or bars[-1])
    monkeypatch.setenv("MISTRAL_API_KEY", DEV_TOKEN)
    (tmp_path / "in.txt").write_text("".join(f"text number {i}\n" for i in range(95)))
    status = _cli.main(["embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--progress", "--batch-size",
                        "10", "--base-url", server.url])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    (bar,) = bars
    assert sum(bar.updates) == 95
    assert len(bar.updates) == 10, f"one move per batch of 10 (the last of 5), not one per window: {bar.updates}"
    assert bar.closed
    # A rerun served by the cache moves the bar too (the hits, at once).
    status = _cli.main(["embed", str(tmp_path / "in.txt"), str(tmp_path / "out.npy"), "--progress", "--overwrite",
                        "--base-url", server.url])  # fmt: skip
    assert status == 0
    assert sum(bars[-1].updates) == 95


def test_a_job_bar_is_shared_by_its_calls_only(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bars: list[Recorder] = []
    monkeypatch.setattr(_bulk, "new_bar", lambda **_: bars.append(Recorder()) or bars[-1])
    records = [Record(str(i), f"row {i}") for i in range(40)]
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=8) as embedder:
        _bulk.run_job(embedder, records, NpyOutput(str(tmp_path / "m.npy")), window=20, options={}, progress=True)
        assert sorted(bars[0].updates) == [4, 4, 8, 8, 8, 8], "calls of 20 texts: batches of 8, 8 and 4"
        # Outside the job, a call reports to no job bar.
        assert _progress.Progress(3, 1, enabled=False)._shared is None


def test_a_terminal_of_unknown_size_gets_an_80_column_bar() -> None:
    leader, follower = pty.openpty()  # a pseudo-terminal nobody sized: 0 columns
    with os.fdopen(follower, "w") as terminal:
        assert _progress.terminal_width(terminal) is None
        bar = _progress.new_bar(total=10, unit="text", desc="embedding", file=terminal)
        bar.update(5)
        bar.refresh()
        assert bar.ncols == _progress.FALLBACK_WIDTH
        bar.close()
        terminal.flush()
        drawn = ""
        while select.select([leader], [], [], 1.0)[0]:  # everything the bar drew, however the pty splits it
            drawn += os.read(leader, 65536).decode()
            if "10/10" in drawn:
                break
    os.close(leader)
    line = drawn.replace("\r", "\n").strip().splitlines()[-1]
    assert "embedding" in line
    assert "10/10" in line or "5/10" in line
    assert len(line) <= _progress.FALLBACK_WIDTH
