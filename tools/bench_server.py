"""How many embeddings per second the reference server serves, so it is never the bottleneck of a client benchmark.

The server runs in its own process pinned to one core; a load generator on the other core sends ready-made
request bodies over keep-alive connections and reads the responses without parsing them. After a warm-up
pass (the server caches vectors per text, as a client benchmark would have it), each encoding is measured
for a number of passes over the corpus. Reported: embeddings/s by wall clock, and embeddings per second of
the server process's own CPU time (the one-core figure: it does not depend on how fast the client reads).

Then its memory as a service (`upload_memory`, which `make bench` runs too): the server's peak RSS (VmHWM) while
three clients each upload a file of the maximum size (`--max-file-bytes`) at once, against the largest upload.
An upload streams to disk as it arrives, so the peak is the server's own footprint plus a few pieces per upload;
the target is 1.5x the largest upload (issue 23: it was 1.8 GB, 2x all three together, for three of 300 MB).

And, with `--batch-file-mb N` (`batch_memory`), its peak RSS while a batch job runs over an N MiB file of one-byte
lines (`x`, each a line the job cannot read, so each is an error line written out): a job reads its input as a
stream, so the growth over the server's own footprint must not follow the file (issue 23: a job over 32 MiB took
770 MB, 24x the file); the target is a growth below half the file.

    python tools/bench_server.py [--texts 20480] [--batch 128] [--passes 3] [--connections 4] [--upload-mb 300]
                                 [--batch-file-mb 32]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from embedkit_server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "dev-token"  # noqa: S105 - the reference server's published development key
Target = tuple[str, bool, str]
MIB = 2**20


def _status_kib(pid: int, field: str) -> int:
    """A `/proc/<pid>/status` figure in KiB (VmRSS now, VmHWM the peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def _upload_body(size: int, boundary: bytes) -> Iterator[bytes]:
    """A multipart upload of `size` bytes of JSONL-like lines, made a MiB at a time (the client holds one MiB)."""
    line = b"x" * 1023 + b"\n"
    piece = line * (MIB // len(line))
    yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
    yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="max.jsonl"\r\n\r\n'
    for _ in range(size // len(piece)):
        yield piece
    yield piece[: size % len(piece)]
    yield b"\r\n--" + boundary + b"--\r\n"


def upload_memory(
    upload_mb: int = 300, uploads: int = 3, pin: list[str] | None = None
) -> tuple[list[str], list[Target]]:
    """The server's peak RSS while `uploads` clients each upload the maximum file size at once: report and target.

    The server is started with `--max-file-bytes` of exactly that size (so each upload is a maximum-size one) and
    room for all of them; every upload must be stored whole (200, its size and line count as sent).
    """
    size = upload_mb * MIB
    command = [*(pin or []), sys.executable, "-m", "embedkit_server", "--max-file-bytes", str(size),
               "--max-files-bytes", str(size * uploads + MIB)]  # fmt: skip
    server = ServerProcess(command)
    answers: list[httpx.Response | BaseException] = []
    with server as url:
        before = _status_kib(server.pid, "VmRSS") / 1024

        def upload() -> None:
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "multipart/form-data; boundary=BENCH"}
            try:
                answers.append(httpx.post(url + "/v1/files", content=_upload_body(size, b"BENCH"), headers=headers,
                                          timeout=600))  # fmt: skip
            except httpx.HTTPError as error:
                answers.append(error)

        started = time.perf_counter()
        threads = [threading.Thread(target=upload) for _ in range(uploads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        peak = _status_kib(server.pid, "VmHWM") / 1024
    for answer in answers:
        if not isinstance(answer, httpx.Response) or answer.status_code != 200:
            raise RuntimeError(f"an upload failed: {answer if not isinstance(answer, httpx.Response) else answer.text}")
        if answer.json()["bytes"] != size:
            raise RuntimeError(f"an upload was stored with {answer.json()['bytes']} bytes, not {size}")
    ratio = peak / upload_mb
    lines = [
        f"\n## Server memory: {uploads} concurrent uploads of the maximum size ({upload_mb} MiB each)\n",
        "| measure | MiB |",
        "| --- | ---: |",
        f"| largest upload | {upload_mb} |",
        f"| server RSS before | {before:.0f} |",
        f"| server peak RSS (VmHWM) | {peak:.0f} |",
        f"| peak / largest upload | {ratio:.2f}x |",
        f"\n{uploads} x {upload_mb} MiB stored in {wall:.1f} s; reproduce: `python tools/bench_server.py --upload-mb "
        f"{upload_mb} --texts 0`",
    ]
    return lines, [(f"server peak RSS ≤ 1.5x the largest upload ({uploads} concurrent)", ratio <= 1.5, f"{ratio:.2f}x")]


def _one_byte_lines(size: int, boundary: bytes) -> Iterator[bytes]:
    """A multipart upload of `size` bytes of `x` lines, a MiB at a time."""
    piece = b"x\n" * (MIB // 2)
    yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
    yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="lines.jsonl"\r\n\r\n'
    for _ in range(size // MIB):
        yield piece
    yield b"\r\n--" + boundary + b"--\r\n"


def _wait_job(client: httpx.Client, file_id: str) -> dict[str, Any]:
    """Make a job over a file, and poll it until it ends; its final description."""
    job: dict[str, Any] = client.post(
        "/v1/batch/jobs", json={"input_files": [file_id], "model": "mistral-embed", "endpoint": "/v1/embeddings"}
    ).json()
    while job["status"] not in ("SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"):
        time.sleep(0.2)
        job = client.get(f"/v1/batch/jobs/{job['id']}").json()
    return job


def _run_job(client: httpx.Client, content: bytes) -> None:
    """Upload `content` and run a job over it to its end."""
    uploaded = client.post("/v1/files", files={"file": ("warm.jsonl", content)}, data={"purpose": "batch"})
    _wait_job(client, uploaded.json()["id"])


def batch_memory(file_mb: int = 32, pin: list[str] | None = None) -> tuple[list[str], list[Target]]:
    """The server's peak RSS while a batch job runs over a `file_mb` MiB file of one-byte lines: report and target.

    The server runs jobs as fast as it can (`--batch-requests-per-second 0`); the file is uploaded (streamed), the
    job made over it and polled until it ends; the peak (VmHWM) covers the upload and the whole job. The footprint
    it is compared with is taken after a one-line job has run, so that what any first job loads (the tokenizer,
    the vector code) is not counted as the file's.
    """
    size = file_mb * MIB
    command = [*(pin or []), sys.executable, "-m", "embedkit_server", "--batch-requests-per-second", "0",
               "--max-file-bytes", str(size + MIB)]  # fmt: skip
    server = ServerProcess(command)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with server as url, httpx.Client(base_url=url, headers=headers, timeout=600) as client:
        _run_job(client, b'{"custom_id": "warm", "body": {"input": ["warm"]}}\n')
        before = _status_kib(server.pid, "VmRSS") / 1024
        uploaded = client.post("/v1/files", content=_one_byte_lines(size, b"BENCH"),
                               headers={"Content-Type": "multipart/form-data; boundary=BENCH"})  # fmt: skip
        if uploaded.status_code != 200:
            raise RuntimeError(f"the upload failed: {uploaded.text}")
        started = time.perf_counter()
        job = _wait_job(client, uploaded.json()["id"])
        wall = time.perf_counter() - started
        peak = _status_kib(server.pid, "VmHWM") / 1024
    lines = size // 2
    if (job["status"], job["total_requests"], job["failed_requests"]) != ("SUCCESS", lines, lines):
        raise RuntimeError(f"the job did not answer every line: {job}")
    growth = peak - before
    ratio = growth / file_mb
    report = [
        f"\n## Server memory: a batch job over a {file_mb} MiB file of one-byte lines ({lines:,} lines)\n",
        "| measure | MiB |",
        "| --- | ---: |",
        f"| input file | {file_mb} |",
        f"| server RSS before | {before:.0f} |",
        f"| server peak RSS (VmHWM) | {peak:.0f} |",
        f"| growth / input file | {ratio:.2f}x |",
        f"\n{lines:,} lines answered (each an error line) in {wall:.1f} s; reproduce: `python tools/bench_server.py "
        f"--texts 0 --upload-mb 0 --batch-file-mb {file_mb}`",
    ]
    return report, [(f"server RSS growth < 0.5x the input file (a batch job over {file_mb} MiB)", ratio < 0.5,
                     f"{ratio:.2f}x")]  # fmt: skip


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _corpus(count: int) -> list[str]:
    words = [
        "embedding",
        "vector",
        "model",
        "search",
        "query",
        "document",
        "semantic",
        "cosine",
        "token",
        "batch",
        "index",
        "server",
    ]
    return [f"text {i}: " + " ".join(words[(i * 7 + k) % len(words)] for k in range(6 + i % 9)) for i in range(count)]


def _run(url: str, bodies: list[bytes], connections: int) -> None:
    """Send every body once, `connections` at a time, reading each response fully."""
    position = iter(range(len(bodies)))
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                response = client.post("/v1/embeddings", content=bodies[index])
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
                    return

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"the server refused a request: {failures[0]}")


def main(argv: list[str] | None = None) -> int:
    """Start the pinned server, warm it, measure each encoding, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20480)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--upload-mb", type=int, default=300, help="size of each of 3 concurrent uploads; 0: skip")
    parser.add_argument(
        "--batch-file-mb", type=int, default=0, help="measure a batch job over a file of this size; 0: skip"
    )
    args = parser.parse_args(argv)

    pin = ["taskset", "-c", "0"] if sys.platform == "linux" and (os.cpu_count() or 1) > 1 else []
    if args.texts:
        throughput(args, pin)
    measures: list[Callable[[], tuple[list[str], list[Target]]]] = [
        *([lambda: upload_memory(args.upload_mb, pin=pin)] if args.upload_mb else []),
        *([lambda: batch_memory(args.batch_file_mb, pin=pin)] if args.batch_file_mb else []),
    ]
    for measure in measures:
        lines, targets = measure()
        print("\n".join(lines))
        print("".join(f"\n{what}: {value} ({'met' if met else 'NOT met'})" for what, met, value in targets))
    return 0


def throughput(args: argparse.Namespace, pin: list[str]) -> None:
    """Embeddings per second served, by wall clock and per server CPU-second, for each encoding."""
    server = ServerProcess([*pin, sys.executable, "-m", "embedkit_server", "--honour-base64"])
    with server as url:
        if pin:
            os.sched_setaffinity(0, {1})
        texts = _corpus(args.texts)
        batches = [texts[i : i + args.batch] for i in range(0, len(texts), args.batch)]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"server pinned to core 0, client to core 1: {bool(pin)}; {args.connections} connections")
        print(f"workload: {len(texts)} texts x mistral-embed (1024-d), batches of {args.batch}, {args.passes} passes\n")
        print("| encoding | embeddings/s (wall) | embeddings per server CPU-second | MB/s sent |")
        print("| --- | ---: | ---: | ---: |")
        for encoding in ("base64", "float"):
            bodies = [
                orjson.dumps({"model": "mistral-embed", "input": batch, "encoding_format": encoding})
                for batch in batches
            ]
            _run(url, bodies, args.connections)  # warm-up: vectors and encodings cached
            size = len(httpx.post(url + "/v1/embeddings", content=bodies[0], headers={
                "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}).content)  # fmt: skip
            cpu_before, wall_before = _cpu_seconds(server.pid), time.perf_counter()
            for _ in range(args.passes):
                _run(url, bodies, args.connections)
            wall = time.perf_counter() - wall_before
            cpu = _cpu_seconds(server.pid) - cpu_before
            served = len(texts) * args.passes
            megabytes = size * len(batches) * args.passes / 1e6
            print(f"| {encoding} | {served / wall:,.0f} | {served / cpu:,.0f} | {megabytes / wall:,.0f} |")
        print(
            f"\nreproduce: python tools/bench_server.py --texts {args.texts} --batch {args.batch}"
            f" --passes {args.passes} --connections {args.connections}"
        )


if __name__ == "__main__":
    sys.exit(main())
