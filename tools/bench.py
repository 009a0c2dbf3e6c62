"""`make bench`: embedkit against the naive floor and the official SDKs, side by side in one run.

Three scenarios, all against the local reference server in its own process (pinned to core 0, its cache
warmed first so it is not the bottleneck), every client in a fresh process (pinned to core 1):

1. throughput: 20,480 short texts, mistral-embed 1024-d, batches of 128; repetitions interleaved across
   clients; medians of wall time, client CPU time and peak RSS, and ratios to the floor of the same run;
2. latency: the server waits 100 ms per request, like a real API across the internet; the wrapper's default
   concurrency against sequential calls and against both SDKs used as their documents show;
3. memory at scale: peak RSS of the wrapper embedding 100,000 texts (the output matrix alone is 410 MB);
4. rate limit: 100,000 texts from 4 processes and from a Dask cluster against a server limited to L tokens/min,
   beside both SDKs (tools/bench_ratelimit.py).

Every client turns the answers into one float32 matrix (row i = text i); a checksum shows they all got the
same vectors. Imports happen before the clock starts (and count in peak RSS, which every client pays).
Results go to docs/bench.md and docs/bench.png; the script prints the machine, the package versions and the
command to reproduce.

    python tools/bench.py [--texts 20480] [--repeat 3] [--latency-texts 5120] [--memory-texts 100000]
"""

from __future__ import annotations

import argparse
import base64
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "dev-token"  # noqa: S105 - the reference server's published development key
# These scenarios measure the base64 path, so the server honours base64 like an OpenAI-compatible gateway; the real
# Mistral is reported to answer floats whatever is asked (the server's default), a path the float scenarios measure.
SERVER = [sys.executable, "-m", "reference_server", "--honour-base64"]
MODEL = "mistral-embed"
DIMENSION = 1024


def corpus(count: int) -> list[str]:
    """Short texts, all different (a cache must not help any client)."""
    return [f"benchmark text {i}: a short sentence about topic {i % 101} and item {i * 37 % 997}" for i in range(count)]


# --- the clients: each embeds `texts` into one float32 matrix ------------------------------------------------------


def floor(url: str, texts: list[str], batch: int) -> np.ndarray[Any, Any]:
    """The naive floor: raw httpx, orjson, stdlib base64, np.frombuffer into a preallocated array, sequential."""
    import httpx
    import orjson

    out = np.empty((len(texts), DIMENSION), np.float32)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for start in range(0, len(texts), batch):
            body = orjson.dumps({"model": MODEL, "input": texts[start : start + batch], "encoding_format": "base64"})
            for item in orjson.loads(client.post("/v1/embeddings", content=body).content)["data"]:
                out[start + item["index"]] = np.frombuffer(base64.b64decode(item["embedding"]), "<f4")
    return out


def wrapper(url: str, texts: list[str], batch: int, **options: Any) -> np.ndarray[Any, Any]:
    """Embedkit with its defaults (base64, its default concurrency), batches of `batch`."""
    from embedkit import Embedder

    concurrency = options.pop("max_concurrency", None)
    client_options = {"max_concurrency": concurrency} if concurrency else {}
    with Embedder.mistral(base_url=url, api_key=TOKEN, batch_size=batch, progress=False, **client_options) as embedder:
        return embedder.embed(texts, **options).vectors


def openai_sdk(url: str, texts: list[str], batch: int) -> np.ndarray[Any, Any]:
    """The openai SDK's `embeddings.create` (base64 on the wire, float lists out), as its documents show."""
    from openai import OpenAI

    client = OpenAI(base_url=url + "/v1", api_key=TOKEN)
    rows: list[list[float]] = []
    for start in range(0, len(texts), batch):
        response = client.embeddings.create(model=MODEL, input=texts[start : start + batch])
        rows.extend(item.embedding for item in sorted(response.data, key=lambda item: item.index))
    return np.asarray(rows, dtype=np.float32)


def mistral_sdk(url: str, texts: list[str], batch: int) -> np.ndarray[Any, Any]:
    """The mistralai SDK's `embeddings.create` (float JSON, pydantic), as its documents show."""
    try:
        from mistralai import Mistral  # type: ignore[attr-defined]
    except ImportError:
        from mistralai.client import Mistral

    client = Mistral(api_key=TOKEN, server_url=url)
    rows: list[list[float]] = []
    for start in range(0, len(texts), batch):
        response = client.embeddings.create(model=MODEL, inputs=texts[start : start + batch])
        rows.extend(item.embedding for item in sorted(response.data, key=lambda item: item.index or 0))
    return np.asarray(rows, dtype=np.float32)


CLIENTS: dict[str, Callable[..., np.ndarray[Any, Any]]] = {
    "naive floor (httpx + orjson + base64 → numpy)": floor,
    "embedkit (defaults)": wrapper,
    "embedkit (float JSON)": lambda url, texts, batch: wrapper(url, texts, batch, encoding_format="float"),
    "embedkit (sequential)": lambda url, texts, batch: wrapper(url, texts, batch, max_concurrency=1),
    "openai SDK": openai_sdk,
    "mistralai SDK": mistral_sdk,
}


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set of a process's current address space (VmHWM).

    Not `ru_maxrss`: on Linux that survives fork and exec, so a child would report its parent's peak.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc: peak RSS is measured on Linux only")


# What each client imports, done before the clock starts: import time is paid once per process, not per call,
# and would otherwise weigh most on the heaviest SDKs.
IMPORTS = {"naive": ["httpx", "orjson"], "embedkit": ["embedkit"], "openai": ["openai"], "mistralai": ["mistralai"]}


def run_client(name: str, url: str, texts: int, batch: int) -> dict[str, float]:
    """In the child: embed, and report wall, CPU, peak RSS and a checksum of the matrix."""
    for module in IMPORTS[name.split()[0]]:
        importlib.import_module(module)
    data = corpus(texts)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    matrix = CLIENTS[name](url, data, batch)
    wall, cpu = time.perf_counter() - wall_before, time.process_time() - cpu_before
    assert matrix.shape == (texts, DIMENSION), matrix.shape
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_mb": peak_rss_mb(),
        "checksum": float(np.abs(matrix.astype(np.float64)).sum()),
    }


# --- the parent: servers, interleaved runs, tables ---------------------------------------------------------------


def in_fresh_process(name: str, url: str, texts: int, batch: int, pin: list[str]) -> dict[str, float]:
    """One measurement in a new interpreter, so no client inherits another's imports, caches or heap."""
    command = [
        *pin,
        sys.executable,
        __file__,
        "--client",
        name,
        "--url",
        url,
        "--texts",
        str(texts),
        "--batch",
        str(batch),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False, timeout=1800)  # noqa: S603
    if finished.returncode:
        raise RuntimeError(f"{name} failed:\n{finished.stderr[-2000:]}")
    result: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def versions() -> str:
    """The versions of what is measured."""
    names = ["embedkit", "httpx", "numpy", "orjson", "pybase64", "openai", "mistralai", "pydantic"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    """Run the three scenarios and write docs/bench.md and docs/bench.png."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20480)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-texts", type=int, default=5120)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--memory-texts", type=int, default=100_000)
    parser.add_argument("--ratelimit-texts", type=int, default=100_000, help="0: skip the rate-limit scenario")
    parser.add_argument("--ratelimit-seconds", type=float, default=60.0)
    parser.add_argument("--output-dir", type=Path, default=ROOT / "docs", help="where bench.md and bench.png go")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        print(json.dumps(run_client(args.client, args.url, args.texts, args.batch)))
        return 0

    from reference_server import ServerProcess

    two_cores = sys.platform == "linux" and (os.cpu_count() or 1) > 1
    server_pin, client_pin = (["taskset", "-c", "0"], ["taskset", "-c", "1"]) if two_cores else ([], [])
    shown = [a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("--output-dir")]
    command = " ".join(["python tools/bench.py", *shown])
    lines = [f"# Benchmarks\n\nmachine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
             f"server pinned to core 0, clients to core 1: {two_cores}\n\nversions: {versions()}\n\n"
             f"reproduce: `{command}` (or `make bench`)\n\n"
             "server: the reference server with `--honour-base64` (a gateway answering base64)\n"]  # fmt: skip

    # 1. throughput
    names = [n for n in CLIENTS if n != "embedkit (sequential)"]
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    with ServerProcess([*server_pin, *SERVER]) as url:
        for warm in ("base64", "float"):  # every vector and encoding cached server-side before anything is timed
            wrapper(url, corpus(args.texts), args.batch, encoding_format=warm)
        for repetition in range(args.repeat):
            for offset in range(len(names)):  # interleaved, each repetition in a rotated order
                name = names[(offset + repetition) % len(names)]
                samples[name].append(in_fresh_process(name, url, args.texts, args.batch, client_pin))
                print(f"  {name}: {samples[name][-1]['wall']:.2f} s", file=sys.stderr, flush=True)
    median = {n: {k: statistics.median(s[k] for s in runs) for k in runs[0]} for n, runs in samples.items()}
    base = median[names[0]]
    checksums = {round(m["checksum"], 1) for m in median.values()}
    lines.append(f"\n## Throughput: {args.texts:,} texts x {DIMENSION}-d, batches of {args.batch}, "
                 f"median of {args.repeat}\n\nSame vectors from every client: {len(checksums) == 1}\n\n"
                 "| client | wall s | x floor | client CPU s | x floor | embeddings/s | peak RSS MiB |\n"
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")  # fmt: skip
    for name, m in median.items():
        lines.append(f"| {name} | {m['wall']:.2f} | {m['wall'] / base['wall']:.2f} | {m['cpu']:.2f} | "
                     f"{m['cpu'] / base['cpu']:.2f} | {args.texts / m['wall']:,.0f} | {m['rss_mb']:.0f} |")  # fmt: skip

    # 2. latency
    latency_names = ["embedkit (defaults)", "embedkit (sequential)", "openai SDK", "mistralai SDK"]
    latency: dict[str, dict[str, float]] = {}
    server = [*server_pin, *SERVER, "--latency-ms", str(args.latency_ms)]
    with ServerProcess(server) as url:
        wrapper(url, corpus(args.latency_texts), args.batch)
        for name in latency_names:
            latency[name] = in_fresh_process(name, url, args.latency_texts, args.batch, client_pin)
            print(f"  latency, {name}: {latency[name]['wall']:.2f} s", file=sys.stderr, flush=True)
    sequential = latency["embedkit (sequential)"]["wall"]
    lines.append(f"\n## Latency: the server waits {args.latency_ms} ms per request; {args.latency_texts:,} texts, "
                 f"batches of {args.batch}\n\n| client | wall s | embeddings/s | throughput x sequential |\n"
                 "| --- | ---: | ---: | ---: |")  # fmt: skip
    for name, m in latency.items():
        lines.append(
            f"| {name} | {m['wall']:.2f} | {args.latency_texts / m['wall']:,.0f} | {sequential / m['wall']:.1f} |"
        )

    # 3. memory at scale
    with ServerProcess([*server_pin, *SERVER]) as url:
        big = in_fresh_process("embedkit (defaults)", url, args.memory_texts, args.batch, client_pin)
    matrix_mb = args.memory_texts * DIMENSION * 4 / 2**20
    lines.append(f"\n## Memory: embedkit embedding {args.memory_texts:,} texts\n\n| measure | MiB |\n| --- | ---: |\n"
                 f"| output matrix ({args.memory_texts:,} x {DIMENSION} float32) | {matrix_mb:.0f} |\n"
                 f"| peak RSS | {big['rss_mb']:.0f} |\n"
                 f"| peak RSS / matrix | {big['rss_mb'] / matrix_mb:.2f} |")  # fmt: skip

    wrapped = median["embedkit (defaults)"]
    targets = [
        ("wall time at or below the floor", wrapped["wall"] <= base["wall"], f"{wrapped['wall'] / base['wall']:.2f}x"),
        ("client CPU at or below the floor", wrapped["cpu"] <= base["cpu"], f"{wrapped['cpu'] / base['cpu']:.2f}x"),
        ("≥ 4x faster than the openai SDK", median["openai SDK"]["wall"] >= 4 * wrapped["wall"],
         f"{median['openai SDK']['wall'] / wrapped['wall']:.1f}x"),
        ("≥ 6x faster than the mistralai SDK", median["mistralai SDK"]["wall"] >= 6 * wrapped["wall"],
         f"{median['mistralai SDK']['wall'] / wrapped['wall']:.1f}x"),
        ("≥ 6x sequential throughput at 100 ms", sequential >= 6 * latency["embedkit (defaults)"]["wall"],
         f"{sequential / latency['embedkit (defaults)']['wall']:.1f}x"),
        ("peak RSS ≤ 1.3x the output matrix", big["rss_mb"] <= 1.3 * matrix_mb, f"{big['rss_mb'] / matrix_mb:.2f}x"),
    ]  # fmt: skip
    lines.append("\n## Targets\n\n| target | measured | met |\n| --- | ---: | --- |")
    lines += [f"| {what} | {value} | {'yes' if met else 'no'} |" for what, met, value in targets]
    if args.ratelimit_texts:  # 4. one rate budget for every worker (tools/bench_ratelimit.py)
        import bench_ratelimit

        lines += bench_ratelimit.scenario(args.ratelimit_texts, args.ratelimit_seconds)
    report = "\n".join(lines) + "\n"
    docs = args.output_dir
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "bench.md").write_text(report, encoding="utf-8")
    chart(median, base, docs / "bench.png")
    print(report)
    return 0


def chart(median: dict[str, dict[str, float]], base: dict[str, float], path: Path) -> None:
    """Wall and CPU time of each client as a multiple of the floor's."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    names = list(median)
    positions = np.arange(len(names))
    figure, axes = plt.subplots(figsize=(10, 4.5))
    axes.barh(positions - 0.2, [median[n]["wall"] / base["wall"] for n in names], 0.4, label="wall time")
    axes.barh(positions + 0.2, [median[n]["cpu"] / base["cpu"] for n in names], 0.4, label="client CPU time")
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.set_xlabel("x the naive floor (lower is better)")
    axes.set_title("Embedding 20,480 texts (1024-d) from a local server")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
