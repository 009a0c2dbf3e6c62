"""A bulk job's files: metadata kept, folders as input, outputs checked before anything is paid, one job's
temporary files its own, one width and one model per file, and inputs refused whole or kept resumable
(issue 21, item 5; issue 23, "Output files" and "CLI and arguments")."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli as run
from embedkit import Embedder, EmbeddingCache, InputError, ResponseValidationError
from embedkit._bulk import _WindowWriter, run_job
from embedkit._files import (
    FILES,
    NpyOutput,
    ParquetOutput,
    Record,
    check_output,
    detect_format,
    read_records,
    scan_input,
)
from embedkit._result import EmbeddingResult, Usage
from embedkit_server import DEV_TOKEN, BackgroundServer, compute_vector


@pytest.fixture(scope="module")
def local() -> Iterator[BackgroundServer]:
    with BackgroundServer() as running:
        yield running


def vectors(n: int, width: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, width)).astype(np.float32)


def records(n: int, prefix: str = "r") -> list[Record]:
    return [Record(f"{prefix}{i}", f"text {i}") for i in range(n)]


# --- temporary names, widths, models ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [NpyOutput, ParquetOutput])
def test_two_jobs_writing_one_output_never_share_a_temporary_file(tmp_path: Path, kind: type) -> None:
    # Before: both jobs wrote `.out.npy.rows` and `.out.npy.partial`, so their rows interleaved in one file.
    target = str(tmp_path / ("out.npy" if kind is NpyOutput else "out.parquet"))
    make = (lambda: NpyOutput(target)) if kind is NpyOutput else (lambda: ParquetOutput(target, with_text=False,
                                                                                        metadata={}))  # fmt: skip
    first, second = make(), make()
    assert {first.temporary, getattr(first, "raw", None)} & {second.temporary, getattr(second, "raw", None)} <= {None}
    a, b = vectors(6, seed=1), vectors(6, seed=2)
    for start in range(0, 6, 2):  # interleaved windows, as two concurrent jobs write them
        first.write(records(6)[start : start + 2], a[start : start + 2])
        second.write(records(6)[start : start + 2], b[start : start + 2])
    first.finish()
    second.finish()
    if kind is NpyOutput:
        written = np.load(target)
    else:
        column = pq.read_table(target).column("vector").combine_chunks()
        written = column.flatten().to_numpy().reshape(-1, 4)
    assert np.array_equal(written, b), "the last job to finish wins, whole"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary file left"


def test_the_partial_files_of_a_writer_that_is_gone_are_removed_before_the_next_job(tmp_path: Path) -> None:
    # A second Ctrl-C or SIGKILL ends the process at once: its partial files (as large as the output) stayed.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, alive = int(gone.stdout), os.getpid()
    target = tmp_path / "out.npy"
    left = [tmp_path / f".out.npy.{dead}-0123456789ab.partial", tmp_path / f".out.npy.{dead}-0123456789ab.rows"]
    kept = [
        tmp_path / f".out.npy.{alive}-0123456789ab.partial",  # a writer still running
        tmp_path / ".out.npy.0123456789ab.partial",  # no writer named: not ours to judge
        tmp_path / f".other.npy.{dead}-0123456789ab.partial",  # another output's
    ]
    for path in left + kept:
        path.write_bytes(b"x")
    check_output(str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)


@pytest.mark.parametrize("name", ["out.npy", "out.parquet"])
def test_a_width_change_between_windows_is_refused_for_both_formats(tmp_path: Path, name: str) -> None:
    # Before: .npy wrote a (3000, 8) matrix from 4- and 8-wide rows, with exit 0.
    output = NpyOutput(str(tmp_path / name)) if name.endswith(".npy") else ParquetOutput(
        str(tmp_path / name), with_text=False, metadata={})  # fmt: skip
    output.write(records(2), vectors(2, 4))
    with pytest.raises(ResponseValidationError, match="came back 8-wide float32, earlier ones 4-wide"):
        output.write(records(2, "s"), vectors(2, 8))
    output.abort()
    assert list(tmp_path.iterdir()) == []


def test_a_model_switch_within_one_job_is_refused_but_an_alias_and_its_id_are_one_model(tmp_path: Path) -> None:
    # Before: only jobs with model fallback on were watched; a service switching models between calls was written.
    writer = _WindowWriter(NpyOutput(str(tmp_path / "m.npy")), None, window=100)
    writer.add(records(2), EmbeddingResult(vectors(2), "mistral-embed", Usage()))
    writer.add(records(2, "b"), EmbeddingResult(vectors(2), "mistral-embed-2312", Usage()))
    with pytest.raises(ResponseValidationError, match="embedded by codestral-embed, earlier ones by mistral-embed"):
        writer.add(records(2, "c"), EmbeddingResult(vectors(2), "codestral-embed", Usage()))


# --- outputs checked before anything is paid ----------------------------------------------------------------------


def test_outputs_that_cannot_be_written_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    with pytest.raises(InputError, match="is a folder"):
        check_output(str(tmp_path))
    with pytest.raises(InputError, match="does not exist"):
        check_output(str(tmp_path / "missing" / "out.parquet"))
    with pytest.raises(InputError, match="is the input itself"):
        check_output(str(source), input_path=str(source), overwrite=True)
    with pytest.raises(InputError, match="exists; pass --overwrite"):
        check_output(str(source))
    if os.geteuid() == 0:  # root writes through a folder's mode bits: /proc takes no new file from anyone
        with pytest.raises(InputError, match="cannot write in /proc"):
            check_output("/proc/out.parquet")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(InputError, match="cannot write in"):
            check_output(str(locked / "out.parquet"))
    check_output(str(tmp_path / "fine.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"], "the probe file is removed"


# --- inputs: validated before anything is paid, metadata kept, folders --------------------------------------------


def test_an_invalid_utf8_line_after_5000_good_ones_is_found_by_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"".join(b"good line %d\n" % i for i in range(5000)) + b"bad \xff\xfe line\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        scan_input(str(path), "lines")


def test_a_csv_field_over_128_kib_is_read_and_a_broken_csv_is_a_typed_error(tmp_path: Path) -> None:
    # Before: csv's 128 KiB field limit raised a raw `_csv.Error` traceback.
    path = tmp_path / "in.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "lang"])
        writer.writerow(["word " * 40_000, "en"])
    [record] = read_records(str(path), "csv")
    assert len(record.text) == 200_000
    assert record.columns == {"lang": "en"}
    path.write_text('text\n"' + "x" * (70 << 20) + "\n")
    with pytest.raises(InputError, match="not readable as CSV"):
        list(read_records(str(path), "csv"))


def test_a_generator_that_raises_midway_is_a_typed_error_and_the_finished_rows_stay_in_the_cache(
    tmp_path: Path, local: BackgroundServer
) -> None:
    def texts() -> Iterator[Record]:
        yield from records(30)
        raise RuntimeError("the source went away")

    cache = EmbeddingCache(tmp_path / "c.sqlite")
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN, cache=cache, batch_size=5) as embedder:
        with pytest.raises(InputError, match=r"reading the input failed after 30 records \(RuntimeError: the source"):
            run_job(embedder, texts(), NpyOutput(str(tmp_path / "o.npy")), window=10, step=10, options={})
        assert len(cache) >= 20, "the calls that finished before the failure were committed"
        summary = run_job(embedder, iter(records(30)), NpyOutput(str(tmp_path / "o.npy")), window=10, options={})
    assert summary.cached >= 20
    cache.close()


def test_every_input_column_goes_through_to_parquet(tmp_path: Path, local: BackgroundServer) -> None:
    source = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": "the cat", "lang": "en", "year": 2020, "tags": ["x"]},
            {"id": "b", "text": "le chat", "lang": "fr", "year": 2021, "score": 0.5}]  # fmt: skip
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    scan = scan_input(str(source), "jsonl", id_field="id")
    assert scan.texts == 2
    assert scan.columns is not None
    output = ParquetOutput(str(tmp_path / "o.parquet"), with_text=True, metadata={}, columns=scan.columns)
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as embedder:
        run_job(embedder, read_records(str(source), "jsonl", id_field="id"), output, window=10, options={})
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.column("lang").to_pylist() == ["en", "fr"]
    assert table.column("year").type == pa.int64()
    assert table.column("year").to_pylist() == [2020, 2021]
    assert table.column("score").to_pylist() == [None, 0.5]
    assert table.column("tags").to_pylist() == ['["x"]', None], "nested values kept as JSON text"
    assert table.column("id").to_pylist() == ["a", "b"]


def test_an_input_column_named_like_one_of_embedkits_is_kept_under_another_name(tmp_path: Path) -> None:
    output = ParquetOutput(str(tmp_path / "o.parquet"), with_text=False, metadata={}, columns={"id": pa.string()})
    output.write([Record("1", "t", {"id": "theirs"})], vectors(1))
    output.finish()
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.column("id").to_pylist() == ["1"]
    assert table.column("input_id").to_pylist() == ["theirs"]


def test_parquet_and_csv_inputs_keep_their_columns(tmp_path: Path) -> None:
    pq.write_table(pa.table({"body": ["x", "y"], "n": pa.array([1, 2], pa.int32())}), tmp_path / "in.parquet")
    got = list(read_records(str(tmp_path / "in.parquet"), "parquet", text_field="body"))
    assert [r.columns for r in got] == [{"n": 1}, {"n": 2}]
    assert scan_input(str(tmp_path / "in.parquet"), "parquet", text_field="body").columns == {"n": pa.int32()}
    (tmp_path / "in.csv").write_text("text,source\nhello,web\n")
    assert [r.columns for r in read_records(str(tmp_path / "in.csv"), "csv")] == [{"source": "web"}]


def test_a_folder_or_a_pattern_is_one_text_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("alpha")
    (folder / "sub" / "b.md").write_text("beta")
    (folder / "c.txt").write_text("gamma")
    (folder / ".hidden.md").write_text("secret")
    (folder / "empty.md").write_text("  \n")
    assert detect_format(str(folder), None) == FILES
    assert [(r.id, r.text) for r in read_records(str(folder), FILES)] == [
        ("a.md", "alpha"), ("c.txt", "gamma"), ("sub/b.md", "beta")]  # fmt: skip
    assert [r.id for r in read_records(str(folder), FILES, glob="**/*.md")] == ["a.md", "sub/b.md"]
    pattern = str(folder / "*.txt")
    assert detect_format(pattern, None) == FILES
    assert [r.text for r in read_records(pattern, FILES)] == ["gamma"]
    (folder / "bad.md").write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match=r"bad\.md: not UTF-8"):
        scan_input(str(folder), FILES)


def test_vectors_of_the_reference_server_are_what_the_job_wrote(tmp_path: Path, local: BackgroundServer) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "one.txt").write_text("the cat sat")
    (folder / "two.txt").write_text("a dog barked")
    output = ParquetOutput(str(tmp_path / "o.parquet"), with_text=False, metadata={})
    with Embedder.mistral(base_url=local.url, api_key=DEV_TOKEN) as embedder:
        run_job(embedder, read_records(str(folder), FILES), output, window=10, options={})
    table = pq.read_table(tmp_path / "o.parquet")
    column = table.column("vector").combine_chunks()
    got = column.flatten().to_numpy().reshape(-1, 1024)
    assert table.column("id").to_pylist() == ["one.txt", "two.txt"]
    assert np.allclose(got[1], compute_vector("mistral-embed", 1024, "a dog barked"), atol=1e-6)


# --- the CLI: refused before the first request --------------------------------------------------------------------


def test_the_cli_refuses_before_the_first_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], local: BackgroundServer, key: None
) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"".join(b"good line %d\n" % i for i in range(5000)) + b"bad \xff line\n")
    before = local.app.requests
    cases = [
        # Before: 4,096 texts were paid for, then the bad line refused.
        ([str(source), str(tmp_path / "out.npy")], "not UTF-8 text"),
        # Before: the input was replaced by its vectors.
        ([str(source), str(source), "--overwrite"], "is the input itself"),
        # Before: each failed only after 50-300 texts were paid for.
        ([str(source), str(tmp_path)], "is a folder"),
        ([str(source), str(tmp_path / "missing" / "out.npy")], "does not exist"),
        ([str(source), "/proc/out.npy" if os.geteuid() == 0 else "/out.npy"], "cannot write in"),
    ]
    for arguments, message in cases:
        status, _, err = run(capsys, "embed", *arguments, "--base-url", local.url)
        assert status == 1, (arguments, err)
        assert message in err, (arguments, err)
        assert "Traceback" not in err, (arguments, err)
    assert local.app.requests == before, "nothing was sent"
    assert source.read_bytes().endswith(b"bad \xff line\n")
    long = tmp_path / "long.csv"
    long.write_text("text\n" + "word " * 30_000 + "\nshort\n")
    status, _, err = run(capsys, "embed", str(long), str(tmp_path / "l.parquet"), "--base-url", local.url)
    assert status == 1
    assert "over the per-input limit of 8192; nothing was sent" in err
    assert local.app.requests == before, "a text too long to send is found before any is paid for"
    status, _, err = run(capsys, "embed", str(long), str(tmp_path / "l.npy"), "--chunk-tokens", "500",
                         "--base-url", local.url)  # fmt: skip
    assert status == 1
    assert "chunk rows need a Parquet output" in err
    status, _, err = run(capsys, "embed", str(long), str(tmp_path / "l.parquet"), "--chunk-tokens", "500",
                         "--overlap", "20", "--base-url", local.url)  # fmt: skip
    assert status == 0, err
    table = pq.read_table(tmp_path / "l.parquet")
    assert table.column("parent_id").to_pylist().count("1") > 10
    assert table.column("parent_id").to_pylist()[-1] == "2"


def test_a_folder_embeds_through_the_cli_one_row_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], local: BackgroundServer, key: None
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("the cat sat on the mat")
    (folder / "b.txt").write_text("a dog slept in the sun")
    status, _, err = run(capsys, "embed", str(folder), str(tmp_path / "o.parquet"), "--glob", "*.md", "--with-text",
                         "--base-url", local.url)  # fmt: skip
    assert status == 0, err
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.column("id").to_pylist() == ["a.md"]
    assert table.column("text").to_pylist() == ["the cat sat on the mat"]
