"""Peak memory of a bulk job: `embedkit embed` over 100,000 texts, to .npy and to Parquet, next to their sizes.

The job streams its input and writes each window of rows before reading the next, so its peak resident set
should be the interpreter and libraries plus about one window of batches, not the corpus. This script runs
the real command against a local reference server (its own process, not measured) and reads the job's
peak RSS from the kernel (the child's VmHWM). It runs a 100-text job too, as the baseline of
interpreter and imports, and prints everything with the command to reproduce. The same job is run twice, into
`.npy` and into Parquet (each with its own cache), since the README promises the Parquet path's peak within
1.2 times the `.npy` path's.

    python tools/bench_memory.py [--texts 100000] [--window 4096]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from embedkit_server import ServerProcess


def _peak_rss_of(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `command` to completion; its peak RSS in MiB and its seconds.

    The peak is the child's VmHWM, sampled every 20 ms (it only grows, so the last sample is the peak but for
    the final instants). Not `ru_maxrss`: on Linux that survives fork and exec, so it would count this process.
    """
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    peak = 0.0
    while child.poll() is None:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]) / 1024)
        except (OSError, IndexError):
            pass  # exiting
        time.sleep(0.02)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    return peak, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Start a server, run the baseline and the big job, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=4096)
    args = parser.parse_args(argv)

    binary = Path(sys.executable).parent
    env = {**os.environ, "MISTRAL_API_KEY": "dev-token"}
    with (
        # Measured on the base64 path (a gateway honouring it), as the README figures were.
        ServerProcess([str(binary / "reference-server"), "--honour-base64"]) as url,
        tempfile.TemporaryDirectory(prefix="embedkit-memory-") as scratch,
    ):
        folder = Path(scratch)
        (folder / "small.txt").write_text("".join(f"baseline text {i}\n" for i in range(100)))
        with (folder / "corpus.txt").open("w") as corpus:
            for i in range(args.texts):
                corpus.write(f"document {i}: a sentence about topic {i % 97} and item {i * 31 % 1009}\n")
        job = [str(binary / "embedkit"), "embed", "--base-url", url, "--window", str(args.window), "--no-progress"]
        baseline, _ = _peak_rss_of([*job, str(folder / "small.txt"), str(folder / "small.npy"), "--no-cache"], env)
        peak, seconds = _peak_rss_of([*job, str(folder / "corpus.txt"), str(folder / "out.npy")], env)
        output_mb = (folder / "out.npy").stat().st_size / 2**20
        cache_mb = (folder / "out.npy.cache.sqlite").stat().st_size / 2**20
        parquet_peak, parquet_seconds = _peak_rss_of(
            [*job, str(folder / "corpus.txt"), str(folder / "out.parquet")], env
        )
        parquet_mb = (folder / "out.parquet").stat().st_size / 2**20
    window_mb = args.window * 1024 * 4 / 2**20
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"job: embedkit embed, {args.texts:,} texts, mistral-embed 1024-d float32, window {args.window}, cache on\n")
    print("| measure | MiB |")
    print("| --- | ---: |")
    print(f"| output matrix written (.npy) | {output_mb:,.1f} |")
    print(f"| peak RSS of the job | {peak:,.1f} |")
    print(f"| peak RSS of a 100-text job (interpreter + libraries) | {baseline:,.1f} |")
    print(f"| peak RSS above that baseline | {peak - baseline:,.1f} |")
    print(f"| one window of vectors ({args.window} x 1024 x 4 B) | {window_mb:,.1f} |")
    print(f"| cache written (SQLite, on disk) | {cache_mb:,.1f} |")
    print(f"| output written (Parquet) | {parquet_mb:,.1f} |")
    print(f"| peak RSS of the same job into Parquet | {parquet_peak:,.1f} |")
    print(f"\njob time: {seconds:.1f} s; peak RSS is {peak / output_mb:.2f} x the output it wrote")
    print(f"Parquet job time: {parquet_seconds:.1f} s; its peak RSS is {parquet_peak / peak:.2f} x the .npy job's")
    print(f"reproduce: python tools/bench_memory.py --texts {args.texts} --window {args.window}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
