"""The Parquet output's memory (issue 21): within 1.2 times the .npy path's peak, so it must not pull in pandas.

`pa.array` asks pyarrow's pandas shim whether its argument is a pandas object, which imports pandas (45 MiB
resident) wherever it is installed: that, more than the writer, made the Parquet path 1.37 times the .npy path's
peak RSS. The figures themselves are tools/bench_memory.py's (in the README); these tests pin the cause, and that
the columns built from buffers instead are the ones `pa.array` built.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from embedkit._files import ParquetOutput, Record, load_embeddings

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

WRITE_WINDOWS = """
import sys
import numpy as np
from embedkit._files import ParquetOutput, Record

output = ParquetOutput(sys.argv[1], with_text=True, metadata={"model": "m"}, chunked=True,
                       columns={"lang": __import__("pyarrow").string()})
for window in range(3):
    records = [Record(f"{window}-{i}", f"text {i}", {"lang": "en"}, parent_id=str(i), chunk_index=0, char_start=0,
                      char_end=6) for i in range(100)]
    output.write(records, np.ones((100, 8), np.float32))
output.finish()
print("pandas" in sys.modules)
"""


def test_writing_parquet_does_not_import_pandas(tmp_path: Path) -> None:
    pytest.importorskip("pandas")  # only meaningful where pandas is there to be imported
    done = subprocess.run(
        [sys.executable, "-c", WRITE_WINDOWS, str(tmp_path / "out.parquet")], capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert pq.read_table(tmp_path / "out.parquet").num_rows == 300


EMBED_AS_THE_COMMAND = """
import sys
from embedkit._cli import main

sys.argv = ["embedkit", *sys.argv[1:]]  # main() reading sys.argv: the command's own process, as `embedkit` runs it
status = main()
print(status, any("libarrow_s3" in line for line in open("/proc/self/maps")))
"""


def test_the_embed_command_writes_parquet_without_loading_the_remote_filesystems(tmp_path: Path) -> None:
    # 6 of the 39 MiB that pyarrow adds to the Parquet job's peak RSS; `pyarrow.fs` goes on without them.
    from embedkit_server import DEV_TOKEN, BackgroundServer

    source, output = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    source.write_text("".join(f'{{"id": "r{i}", "text": "text {i}", "lang": "en"}}\n' for i in range(50)))
    with BackgroundServer() as server:
        done = subprocess.run(
            [sys.executable, "-c", EMBED_AS_THE_COMMAND, "embed", str(source), str(output), "--base-url", server.url,
             "--no-progress"],
            capture_output=True, text=True, check=False, timeout=120,
            env={**os.environ, "MISTRAL_API_KEY": DEV_TOKEN},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["0", "False"], done.stdout + done.stderr
    table = pq.read_table(output)
    assert (table.num_rows, table.column("lang").to_pylist()[:1]) == (50, ["en"])


def test_columns_from_buffers_are_what_pa_array_made(tmp_path: Path) -> None:
    """Types, nulls, non-ASCII text and every vector dtype, as `pa.array` would have written them."""
    path = tmp_path / "out.parquet"
    output = ParquetOutput(str(path), with_text=True, metadata={"model": "m"}, chunked=True,
                           columns={"lang": pa.string(), "n": pa.int64()})  # fmt: skip
    records = [
        Record("a", "héllo ✓", {"lang": "fr", "n": 1}, parent_id="p", chunk_index=0, char_start=0, char_end=7),
        Record("b", "", {"lang": None}, parent_id=None, chunk_index=None, char_start=None, char_end=None),
        Record("c", "x" * 1000, {"n": None}, parent_id="p", chunk_index=2, char_start=5, char_end=1005),
    ]
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    output.write(records, vectors)
    output.finish()
    table = pq.read_table(path)
    assert table.schema.field("id").type == pa.string()
    assert table.schema.field("text_sha256").type == pa.binary(32)
    assert table.schema.field("vector").type == pa.list_(pa.float32(), 4)
    assert table.column("id").to_pylist() == ["a", "b", "c"]
    assert table.column("text").to_pylist() == ["héllo ✓", "", "x" * 1000]
    assert table.column("parent_id").to_pylist() == ["p", None, "p"]
    assert table.column("chunk_index").to_pylist() == [0, None, 2]
    assert table.column("char_end").to_pylist() == [7, None, 1005]
    assert table.column("lang").to_pylist() == ["fr", None, None]
    assert table.column("n").to_pylist() == [1, None, None]
    assert np.array_equal(load_embeddings(str(path)).vectors, vectors)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.float32])
def test_every_vector_dtype_is_written_as_its_own_type(tmp_path: Path, dtype: type) -> None:
    path = tmp_path / "out.parquet"
    output = ParquetOutput(str(path), with_text=False, metadata={}, columns={})
    vectors = (np.arange(24) % 100).astype(dtype).reshape(3, 8)
    output.write([Record(str(i), f"t{i}") for i in range(3)], vectors)
    output.finish()
    table = pq.read_table(path)
    assert table.schema.field("vector").type == pa.list_(pa.from_numpy_dtype(np.dtype(dtype)), 8)
    assert np.array_equal(np.array(table.column("vector").to_pylist(), dtype=dtype), vectors)
