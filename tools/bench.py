"""`make bench`: embedkit against the naive floor and the official SDKs, side by side in one run.

Three scenarios, all against the local reference server in its own process (pinned to core 0, its cache
warmed first so it is not the bottleneck), every client in a fresh process (pinned to core 1):

1. throughput: 20,480 short texts, mistral-embed 1024-d, batches of 128; repetitions interleaved across
   clients; medians of wall time, client CPU time and peak RSS, and ratios to the floor of the same run;
2. latency: the server waits 100 ms per request, like a real API across the internet; the wrapper's default
   concurrency against sequential calls and against both SDKs used as their documents show;
3. memory at scale: peak RSS of the wrapper embedding 100,000 texts (the output matrix alone is 410 MB);
4. start-up: `embedkit --version`, `import embedkit` and `import httpx, numpy`, median of 10 fresh processes;
5. server memory: the reference server's peak RSS under 3 concurrent uploads of its maximum file size (300 MiB)
   (tools/bench_server.py);
6. rate limit: 100,000 texts from 4 processes and from a Dask cluster against a server limited to L tokens/min,
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
SERVER = [sys.executable, "-m", "embedkit_server", "--honour-base64"]
MODEL = "mistral-embed"
DIMENSION = 1024


def corpus(count: int, distinct: int | None = None) -> list[str]:
    """Short texts, all different (a cache must not help any client); or `distinct` different ones, repeated.

    Clients keep no cache by default, so repeats cost them as much as new texts; they let the server answer
    long runs from its own cache (which holds 32,768 texts), so that it is not the bottleneck.
    """
    cycle = distinct or count
    return [f"benchmark text {j}: a short sentence about topic {j % 101} and item {j * 37 % 997}"
            for j in (i % cycle for i in range(count))]  # fmt: skip


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

    # Only what is given: without it, the client's own default (what "defaults" measures).
    client_options = {"max_concurrency": options.pop("max_concurrency")} if "max_concurrency" in options else {}
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


FLOAT_CLIENTS: dict[str, Callable[..., np.ndarray[Any, Any]]] = {
    # Against a server that answers floats whatever is asked (as the real Mistral is reported to), except the
    # floor, which is served by a gateway honouring base64: the path embedkit would take if it could.
    "naive floor (httpx + orjson + base64 → numpy)": floor,
    "embedkit (float JSON, defaults)": wrapper,
    "openai SDK": openai_sdk,
    "mistralai SDK": mistral_sdk,
}


def client(name: str) -> Callable[..., np.ndarray[Any, Any]]:
    """The client a name means; "embedkit float, fixed N" / "embedkit float, adaptive" for the concurrency runs."""
    if name.startswith("embedkit float, fixed "):
        concurrency = int(name.rsplit(" ", 1)[1])
        return lambda url, texts, batch: wrapper(url, texts, batch, max_concurrency=concurrency)
    if name == "embedkit float, adaptive":
        return lambda url, texts, batch: wrapper(url, texts, batch, max_concurrency=None)
    return CLIENTS.get(name) or FLOAT_CLIENTS[name]


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
# `import embedkit` loads its modules on first use, so the client's own modules (`Embedder` and what it decodes with)
# are imported here by name: otherwise the first `from embedkit import Embedder` would run inside the clock.
IMPORTS = {
    "naive": ["httpx", "orjson"],
    "embedkit": ["embedkit", "embedkit._client", "embedkit._decode"],
    "openai": ["openai"],
    "mistralai": ["mistralai"],
}


def run_client(name: str, url: str, texts: int, batch: int, distinct: int | None = None) -> dict[str, float]:
    """In the child: embed, and report wall, CPU, peak RSS and a checksum of the matrix."""
    for module in IMPORTS[name.split()[0]]:
        importlib.import_module(module)
    if name.startswith("embedkit"):
        # Each embedkit run is one bulk embedding in a process of its own: it opts in to the allocator setting the
        # `embed` command and bulk jobs make (a client no longer makes it by itself), so its peak RSS is the one a
        # bulk job gets, as the README's figures are.
        from embedkit._memory import tune_allocator

        tune_allocator()
    data = corpus(texts, distinct)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    matrix = client(name)(url, data, batch)
    wall, cpu = time.perf_counter() - wall_before, time.process_time() - cpu_before
    assert matrix.shape == (texts, DIMENSION), matrix.shape
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_mb": peak_rss_mb(),
        "checksum": float(np.abs(matrix.astype(np.float64)).sum()),
    }


# --- the parent: servers, interleaved runs, tables ---------------------------------------------------------------


def in_fresh_process(
    name: str, url: str, texts: int, batch: int, pin: list[str], distinct: int | None = None
) -> dict[str, float]:
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
        *(["--distinct", str(distinct)] if distinct else []),
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
    parser.add_argument("--upload-mb", type=int, default=300, help="each of 3 concurrent uploads (server memory)")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "docs", help="where bench.md and bench.png go")
    parser.add_argument("--float-texts", type=int, default=5120, help="texts of the float-path scenario")
    parser.add_argument(
        "--concurrency-texts",
        type=int,
        default=20480,
        help="texts of each adaptive run of the concurrency scenario (x3 at 100 ms and more)",
    )
    parser.add_argument("--latencies", default="0,20,100,300", help="server latencies (ms) of the concurrency runs")
    parser.add_argument(
        "--concurrency-repeat",
        type=int,
        default=5,
        help="runs of each contender of the concurrency scenario (their medians are compared)",
    )
    parser.add_argument(
        "--only",
        type=_scenarios,
        default=SCENARIOS,
        help=f"the scenarios to run, comma-separated, of {','.join(SCENARIOS)}; default: all",
    )
    parser.add_argument("--distinct", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        print(json.dumps(run_client(args.client, args.url, args.texts, args.batch, args.distinct)))
        return 0

    two_cores = sys.platform == "linux" and (os.cpu_count() or 1) > 1
    server_pin, client_pin = (["taskset", "-c", "0"], ["taskset", "-c", "1"]) if two_cores else ([], [])
    given = list(argv if argv is not None else sys.argv[1:])
    # The command that reproduces the run, without where its report went (`--output-dir DIR` or `--output-dir=DIR`).
    shown = [
        a for i, a in enumerate(given) if not a.startswith("--output-dir") and given[i - 1 : i] != ["--output-dir"]
    ]
    command = " ".join(["python tools/bench.py", *shown])
    lines = [f"# Benchmarks\n\nmachine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
             f"server pinned to core 0, clients to core 1: {two_cores}\n\nversions: {versions()}\n\n"
             f"reproduce: `{command}` (or `make bench`)\n\n"
             "server: the reference server with `--honour-base64` (a gateway answering base64)\n"]  # fmt: skip

    only: tuple[str, ...] = args.only
    targets: list[Target] = []
    median: dict[str, dict[str, float]] = {}
    base: dict[str, float] = {}
    if "throughput" in only:
        median, base = scenario_throughput(args, server_pin, client_pin, lines, targets)
    if "latency" in only:
        scenario_latency(args, server_pin, client_pin, lines, targets)
    if "memory" in only:
        scenario_memory(args, server_pin, client_pin, lines, targets)
    for name, scenario in (
        ("float", scenario_float_path),
        ("concurrency", scenario_concurrency),
        ("startup", scenario_startup),
        ("uploads", scenario_uploads),
    ):
        if name in only:
            scenario_lines, scenario_targets = scenario(args, server_pin, client_pin)
            lines += scenario_lines
            targets += scenario_targets
    lines.append("\n## Targets\n\n| target | measured | met |\n| --- | ---: | --- |")
    lines += [f"| {what} | {value} | {'yes' if met else 'no'} |" for what, met, value in targets]
    if args.ratelimit_texts and "ratelimit" in only:  # 4. one rate budget for every worker (tools/bench_ratelimit.py)
        import bench_ratelimit

        lines += bench_ratelimit.scenario(args.ratelimit_texts, args.ratelimit_seconds)
    report = "\n".join(lines) + "\n"
    docs = args.output_dir
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "bench.md").write_text(report, encoding="utf-8")
    if median:
        chart(median, base, docs / "bench.png")
    print(report)
    return 0


SCENARIOS = ("throughput", "latency", "memory", "float", "concurrency", "startup", "uploads", "ratelimit")
Target = tuple[str, bool, str]


def _scenarios(value: str) -> tuple[str, ...]:
    """`--only`: scenario names, comma-separated."""
    chosen = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown scenario {unknown or value!r}; choose from {','.join(SCENARIOS)}")
    return chosen


def scenario_throughput(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str], lines: list[str], targets: list[Target]
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """1. every client against the floor, interleaved repetitions, medians."""
    from embedkit_server import ServerProcess

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

    wrapped = median["embedkit (defaults)"]
    targets += [
        ("wall time at or below the floor", wrapped["wall"] <= base["wall"], f"{wrapped['wall'] / base['wall']:.2f}x"),
        ("client CPU at or below the floor", wrapped["cpu"] <= base["cpu"], f"{wrapped['cpu'] / base['cpu']:.2f}x"),
        ("≥ 4x faster than the openai SDK", median["openai SDK"]["wall"] >= 4 * wrapped["wall"],
         f"{median['openai SDK']['wall'] / wrapped['wall']:.1f}x"),
        ("≥ 6x faster than the mistralai SDK", median["mistralai SDK"]["wall"] >= 6 * wrapped["wall"],
         f"{median['mistralai SDK']['wall'] / wrapped['wall']:.1f}x"),
    ]  # fmt: skip
    return median, base


def scenario_latency(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str], lines: list[str], targets: list[Target]
) -> None:
    """2. a server that waits `--latency-ms` per request: the defaults against sequential and both SDKs."""
    from embedkit_server import ServerProcess

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

    defaults = latency["embedkit (defaults)"]["wall"]
    speedup = sequential / defaults
    targets.append((f"≥ 6x sequential throughput at {args.latency_ms} ms", speedup >= 6, f"{speedup:.1f}x"))


def scenario_memory(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str], lines: list[str], targets: list[Target]
) -> None:
    """3. peak RSS of the defaults embedding `--memory-texts` texts, against the output matrix alone."""
    from embedkit_server import ServerProcess

    with ServerProcess([*server_pin, *SERVER]) as url:
        big = in_fresh_process("embedkit (defaults)", url, args.memory_texts, args.batch, client_pin)
    matrix_mb = args.memory_texts * DIMENSION * 4 / 2**20
    lines.append(f"\n## Memory: embedkit embedding {args.memory_texts:,} texts\n\n| measure | MiB |\n| --- | ---: |\n"
                 f"| output matrix ({args.memory_texts:,} x {DIMENSION} float32) | {matrix_mb:.0f} |\n"
                 f"| peak RSS | {big['rss_mb']:.0f} |\n"
                 f"| peak RSS / matrix | {big['rss_mb'] / matrix_mb:.2f} |")  # fmt: skip

    targets.append(
        ("peak RSS ≤ 1.3x the output matrix", big["rss_mb"] <= 1.3 * matrix_mb, f"{big['rss_mb'] / matrix_mb:.2f}x")
    )
    # The CLI job into Parquet against the same job into .npy (issue 21), as tools/bench_memory.py measures it.
    import bench_memory

    jobs = bench_memory.measure(args.memory_texts, repeat=args.repeat)
    lines.append(f"| `embedkit embed` peak RSS, .npy / Parquet (median of {args.repeat}; tools/bench_memory.py) | "
                 f"{jobs.npy_peak:.0f} / {jobs.parquet_peak:.0f} |")  # fmt: skip
    targets.append((f"Parquet job peak RSS ≤ {bench_memory.TARGET}x the .npy job's", jobs.ratio <= bench_memory.TARGET,
                    f"{jobs.ratio:.2f}x"))  # fmt: skip


# --- issue 11: the float path, and concurrency that finds its level; each scenario is a function ---------------------

# Answers floats whatever is asked, and prints them as the real Mistral does (its default `--float-format mistral`):
# float16-precision values as exact decimals, about 19 bytes a value, a third more than float32's shortest form.
FLOATS_SERVER = [sys.executable, "-m", "embedkit_server", "--float-format", "mistral"]


def scenario_float_path(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str]
) -> tuple[list[str], list[Target]]:
    """(a) embedkit on the float path against the base64 floor and both SDKs, one run, interleaved, medians.

    The float server prints what the real Mistral sends (`--float-format mistral`: float16-precision values as exact
    decimals, about 19 bytes a value), not float32's shortest forms, a third lighter, which flattered the float path.
    """
    from embedkit_server import ServerProcess

    names = list(FLOAT_CLIENTS)
    texts = args.float_texts
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    with ServerProcess([*server_pin, *SERVER]) as gateway, ServerProcess([*server_pin, *FLOATS_SERVER]) as floats:
        wrapper(gateway, corpus(texts), args.batch, encoding_format="base64")
        wrapper(floats, corpus(texts), args.batch)
        for repetition in range(args.repeat):
            for offset in range(len(names)):
                name = names[(offset + repetition) % len(names)]
                url = gateway if name.startswith("naive") else floats
                samples[name].append(in_fresh_process(name, url, texts, args.batch, client_pin))
                print(f"  float path, {name}: {samples[name][-1]['wall']:.2f} s", file=sys.stderr, flush=True)
    median = {n: {k: statistics.median(s[k] for s in runs) for k in runs[0]} for n, runs in samples.items()}
    base = median[names[0]]
    checksums = {round(m["checksum"], 1) for m in median.values()}
    lines = [f"\n## Float path (Mistral-shaped bodies): {texts:,} texts x {DIMENSION}-d, batches of {args.batch}, "
             f"median of {args.repeat}\n\n"
             "The server answers float arrays whatever `encoding_format` says, as the real Mistral is reported to "
             "(third-party reports: anything-llm #5794, docs-mcp-server #469), and prints them as Mistral does "
             "(`--float-format mistral`: float16-precision values as exact decimals, e.g. `-0.0165863037109375`, "
             "about 19 bytes a value); the floor is served base64 by a gateway honouring it.\n\n"
             f"Same vectors from every client: {len(checksums) == 1}\n\n"
             "| client | wall s | x floor | client CPU s | x floor | peak RSS MiB | x floor |\n"
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, m in median.items():
        ratios = [m[k] / base[k] for k in ("wall", "cpu", "rss_mb")]
        lines.append(f"| {name} | {m['wall']:.2f} | {ratios[0]:.2f} | {m['cpu']:.2f} | {ratios[1]:.2f} | "
                     f"{m['rss_mb']:.0f} | {ratios[2]:.2f} |")  # fmt: skip
    ours = median["embedkit (float JSON, defaults)"]
    fastest_sdk = min(median["openai SDK"]["wall"], median["mistralai SDK"]["wall"])
    wall, cpu, rss = (ours[k] / base[k] for k in ("wall", "cpu", "rss_mb"))
    # Issue 22's targets, on Mistral-shaped bodies (about 19 bytes a value, 3.4x the base64 body).
    targets: list[Target] = [
        ("float path (Mistral-shaped) wall ≤ 1.5x the base64 floor", wall <= 1.5, f"{wall:.2f}x"),
        ("float path (Mistral-shaped) CPU ≤ 1.6x the base64 floor", cpu <= 1.6, f"{cpu:.2f}x"),
        ("float path (Mistral-shaped) peak RSS ≤ 1.3x the floor's", rss <= 1.3, f"{rss:.2f}x"),
        (
            "float path ahead of every SDK (wall)",
            ours["wall"] < fastest_sdk,
            f"{fastest_sdk / ours['wall']:.1f}x faster",
        ),
    ]
    return lines, targets


STARTUP_RUNS = 10


def scenario_uploads(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str]
) -> tuple[list[str], list[Target]]:
    """The reference server's peak RSS under 3 concurrent maximum-size uploads (tools/bench_server.py, issue 23)."""
    import bench_server

    return bench_server.upload_memory(args.upload_mb, pin=server_pin)


def scenario_startup(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str]
) -> tuple[list[str], list[Target]]:
    """(b) Start-up: the median wall time of fresh processes, for the CLI's version and the library's import.

    `embedkit --version` (and `--help`) must answer at once, so the command imports nothing heavy; `import
    embedkit` loads its modules on first use, so it may cost at most a little more than its two dependencies a
    user would import anyway (httpx, numpy). Each command runs STARTUP_RUNS times, interleaved, after one untimed
    run of each (files in the page cache), on the client core; the median is reported.
    """
    script = Path(sys.executable).with_name("embedkit")  # the console script, as a user types it
    version = [str(script)] if script.exists() else [sys.executable, "-m", "embedkit"]
    commands = {
        "embedkit --version": [*version, "--version"],
        "python -c 'import embedkit'": [sys.executable, "-c", "import embedkit"],
        "python -c 'import httpx, numpy'": [sys.executable, "-c", "import httpx, numpy"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for repetition in range(STARTUP_RUNS + 1):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run([*client_pin, *command], check=True, capture_output=True, cwd=ROOT, timeout=60)  # noqa: S603
            if repetition:  # the first round only warms the page cache
                samples[name].append(time.perf_counter() - start)
    median = {name: statistics.median(runs) for name, runs in samples.items()}
    lines = [f"\n## Start-up: median of {STARTUP_RUNS} fresh processes\n\n| command | wall s |\n| --- | ---: |"]
    lines += [f"| `{name}` | {seconds:.3f} |" for name, seconds in median.items()]
    cli, library, dependencies = median.values()
    ratio = library / dependencies
    targets: list[Target] = [
        ("`embedkit --version` ≤ 0.15 s", cli <= 0.15, f"{cli:.3f} s"),
        ("`import embedkit` ≤ 1.2x `import httpx, numpy`", ratio <= 1.2, f"{ratio:.2f}x"),
    ]
    return lines, targets


FIXED_SETTINGS = (1, 2, 4, 8, 16, 32)


def scenario_concurrency(
    args: argparse.Namespace, server_pin: list[str], client_pin: list[str]
) -> tuple[list[str], list[Target]]:
    """(b) the adaptive default against fixed concurrency at each latency; the instant-server cost vs sequential.

    Throughput is texts per second of each run. The adaptive run and the fixed settings of 8 and more embed the
    whole count, three times as many at 100 ms and more, so that a run spans about fifteen round trips of the best
    setting: the target is the level the limit reaches, and its first round trip, before any measurement, is a fifth
    of a run of five. A fixed setting n below 8 embeds n/8 of it: its throughput is steady from the first round, and
    a full run at 300 ms would take minutes. The contenders (fixed 8 and more, the adaptive default, and sequential
    at 0 ms, which the instant-server target divides by) run `--concurrency-repeat` times (5), interleaved, each
    round in another order; the table shows medians. A run against a CPU-bound client varies by a tenth or more on a
    shared machine (measured: the same setting, 12,000 to 15,000 texts/s at 100 ms), so one run cannot pick the
    best.
    """
    from embedkit_server import ServerProcess

    latencies = [int(value) for value in args.latencies.split(",")]
    distinct = min(args.concurrency_texts, 16384)  # within the server's cache: the client is what is measured
    lines = [f"\n## Concurrency: the adaptive default against fixed settings (float path, batches of {args.batch})\n\n"
             f"Texts per run: {args.concurrency_texts:,} ({3 * args.concurrency_texts:,} at 100 ms and more) for the "
             "adaptive default and fixed settings of 8 or more; n/8 of that for a fixed setting n below 8 (its "
             "throughput is steady from the first round). Throughput in texts/s; the adaptive default and fixed "
             "settings of 8 or more (and sequential at 0 ms): median of "
             f"{args.concurrency_repeat} interleaved runs.\n\n"
             "| latency | " + " | ".join(f"fixed {n}" for n in FIXED_SETTINGS) + " | adaptive | best fixed | "
             "adaptive / best |\n| ---: |" + " ---: |" * (len(FIXED_SETTINGS) + 3)]  # fmt: skip
    targets: list[Target] = []
    instant: dict[str, dict[str, float]] = {}
    adaptive = "embedkit float, adaptive"
    for latency in latencies:
        full = args.concurrency_texts * (3 if latency >= 100 else 1)
        counts = {
            f"embedkit float, fixed {n}": full if n >= 8 else max(args.batch, full * n // 8) for n in FIXED_SETTINGS
        }
        counts[adaptive] = full
        repeated = [n for n in counts if counts[n] == full or (latency == 0 and n.endswith(" fixed 1"))]
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in counts}
        with ServerProcess([*server_pin, *FLOATS_SERVER, "--latency-ms", str(latency)]) as url:
            wrapper(url, corpus(distinct), args.batch, max_concurrency=4)
            for name in counts:
                if name not in repeated:
                    samples[name].append(in_fresh_process(name, url, counts[name], args.batch, client_pin, distinct))
            for round_ in range(args.concurrency_repeat):
                shift = round_ % len(repeated)
                for name in repeated[shift:] + repeated[:shift]:
                    samples[name].append(in_fresh_process(name, url, counts[name], args.batch, client_pin, distinct))
                    rate = counts[name] / samples[name][-1]["wall"]
                    print(f"  {latency} ms, {name}: {rate:,.0f} texts/s", file=sys.stderr, flush=True)
        median = {
            name: {key: statistics.median(run[key] / counts[name] for run in runs) for key in ("wall", "cpu")}
            for name, runs in samples.items()
        }
        rates = {name: 1 / m["wall"] for name, m in median.items()}
        if latency == 0:
            instant = {name: median[name] for name in ("embedkit float, fixed 1", adaptive)}
        best_name = max((n for n in rates if "fixed" in n), key=rates.__getitem__)
        ratio = rates[adaptive] / rates[best_name]
        fixed = " | ".join(f"{rates[f'embedkit float, fixed {n}']:,.0f}" for n in FIXED_SETTINGS)
        lines.append(
            f"| {latency} ms | {fixed} | {rates[adaptive]:,.0f} | {best_name.rsplit(' ', 1)[1]} | {ratio:.2f} |"
        )
        if latency > 0:
            targets.append((f"adaptive ≥ 90% of the best fixed setting at {latency} ms", ratio >= 0.9, f"{ratio:.2f}"))
    if instant:
        ours, sequential = instant[adaptive], instant["embedkit float, fixed 1"]
        wall, cpu = ours["wall"] / sequential["wall"], ours["cpu"] / sequential["cpu"]
        lines.append(
            f"\nInstant server, adaptive default per text against sequential: wall {wall:.2f}x, CPU {cpu:.2f}x"
        )
        targets.append(("instant server: adaptive wall ≤ 1.05x sequential", wall <= 1.05, f"{wall:.2f}x"))
        targets.append(("instant server: adaptive CPU ≤ 1.05x sequential", cpu <= 1.05, f"{cpu:.2f}x"))
    return lines, targets


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
    # The chart is shown without its report: it must say itself that the server answered base64 when asked (the
    # real Mistral is reported to answer float arrays whatever is asked: the report's float-path section).
    axes.set_title(
        "Embedding 20,480 texts (1024-d) from a local server\n"
        "answering base64 when asked (reference server, --honour-base64)"
    )
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
