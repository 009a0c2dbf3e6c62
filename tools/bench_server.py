"""How many embeddings per second the reference server serves, so it is never the bottleneck of a client benchmark.

The server runs in its own process pinned to one core; a load generator on the other core sends ready-made
request bodies over keep-alive connections and reads the responses without parsing them. After a warm-up
pass (the server caches vectors per text, as a client benchmark would have it), each encoding is measured
for a number of passes over the corpus. Reported: embeddings/s by wall clock, and embeddings per second of
the server process's own CPU time (the one-core figure: it does not depend on how fast the client reads).

    python tools/bench_server.py [--texts 20480] [--batch 128] [--passes 3] [--connections 4]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
from embedkit_server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "dev-token"  # noqa: S105 - the reference server's published development key


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
    args = parser.parse_args(argv)

    pin = ["taskset", "-c", "0"] if sys.platform == "linux" and (os.cpu_count() or 1) > 1 else []
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
