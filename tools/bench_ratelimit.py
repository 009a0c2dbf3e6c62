"""`make bench`, rate-limit scenario: many workers, one key, a server limited to L tokens a minute.

The texts are embedded by 4 processes (embedkit sharing one budget through a SQLite file; the openai and mistralai
SDKs with their own default retry settings) and by a 4-worker Dask `LocalCluster` (embedkit, sharing one budget
through an actor), each run against a fresh reference server in a process of its own, started with
`--tokens-per-minute L`. L is the corpus's own token count per `--seconds` (so an unhindered run takes that
long). Before each run the key's budget is spent (the server's bucket holds a minute), so every client meets an
organisation already at its limit, as a long job does after its first minute; the server's first embedding (which
loads its tokenizer) is paid by another key. Measured: the tokens the server served per minute of the run (from
the first request to the last answer), the share of requests it answered 429 (its own counter, printed on exit),
and the requests that failed for good. Also the cost of one budget reservation, in process and through the file.

Then limits learned, not configured (issue 21): `--request-texts` texts (5,000) embedded by one process with the
client's DEFAULT settings (no limit given) against a reference server limited to 1 and to 2 requests/s
(`--requests-per-second`), beside langchain-mistralai's `MistralAIEmbeddings` run the same way (its defaults) when it
is installed. Measured: the requests answered per second, from the first admitted to the last as the server saw them,
over the limit (n answers span n - 1 intervals), the share of requests answered 429, and the failures. Targets
(embedkit): no failure, at least 90% of the limit, at most 5% of requests answered 429. Each limit is run twice for
embedkit: once with the server's request headers (`x-ratelimit-limit-req-minute`), and once "429s only, no request
header" (`--no-request-headers`: the server sends only its token headers, as Mistral's documented ones are, and
says its request limit by nothing but 429s with a whole-second `Retry-After`), so the rate is learned from 429s.
At 1 request/s embedkit also runs against the free tier as reported: 1 request/s and 500,000 tokens/min, token
headers only. There the token limit binds before the request limit (a request of default batching carries about
11,000 tokens: 500,000 a minute is about 0.74 requests/s), and that row's achieved figure is over the limit that
binds.
`--request-batch-size` makes more, smaller requests of the same texts (the steady state, not the first seconds).

    python tools/bench_ratelimit.py [--texts 100000] [--seconds 60] [--request-texts 5000] [--request-batch-size N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TOKEN = "dev-token"  # noqa: S105 - the reference server's published development key
WARM_UP = "warm-up"
MODEL = "mistral-embed"
BATCH = 128
PROCESSES = 4


def corpus(count: int) -> list[str]:
    """Short texts, all different (as in bench.py)."""
    return [f"benchmark text {i}: a short sentence about topic {i % 101} and item {i * 37 % 997}" for i in range(count)]


def warm_tokenizer() -> None:
    """Load the tokenizer embedkit counts with before the clock starts (a second, paid once per process)."""
    from embedkit._tokens import counter_for

    counter_for(MODEL, "auto").count(["warm up"])


# --- in a child process: one quarter of the corpus, one client ----------------------------------------------------


def embedkit_child(url: str, texts: list[str], limit: int, budget_file: str) -> int:
    """Embedkit with the key's limit, sharing its budget with the other processes through `budget_file`."""
    from embedkit import Embedder

    with Embedder.mistral(base_url=url, api_key=TOKEN, batch_size=BATCH, tokens_per_minute=limit,
                          rate_budget=budget_file, progress=False) as embedder:  # fmt: skip
        embedder.embed(texts)
    return 0


def openai_child(url: str, texts: list[str], limit: int, budget_file: str) -> int:
    """The openai SDK as its documents show (its default `max_retries`); a batch that raises is a failure."""
    from openai import OpenAI

    client = OpenAI(base_url=url + "/v1", api_key=TOKEN)
    failures = 0
    for start in range(0, len(texts), BATCH):
        try:
            client.embeddings.create(model=MODEL, input=texts[start : start + BATCH])
        except Exception:
            failures += 1
    return failures


def mistral_child(url: str, texts: list[str], limit: int, budget_file: str) -> int:
    """The mistralai SDK as its documents show (its default retry configuration); a batch that raises fails."""
    try:
        from mistralai import Mistral  # type: ignore[attr-defined]
    except ImportError:
        from mistralai.client import Mistral

    client = Mistral(api_key=TOKEN, server_url=url)
    failures = 0
    for start in range(0, len(texts), BATCH):
        try:
            client.embeddings.create(model=MODEL, inputs=texts[start : start + BATCH])
        except Exception:
            failures += 1
    return failures


def embedkit_defaults_child(url: str, texts: list[str], limit: int, budget_file: str) -> int:
    """Embedkit with its defaults: no limit given, so it learns the server's (`limit` > 0: texts per request)."""
    from embedkit import Embedder

    batching = {"batch_size": limit} if limit > 0 else {}
    with Embedder.mistral(base_url=url, api_key=TOKEN, progress=False, **batching) as embedder:
        embedder.embed(texts)
    return 0


def langchain_child(url: str, texts: list[str], limit: int, budget_file: str) -> int:
    """langchain-mistralai's MistralAIEmbeddings with its defaults (its own batching and retries)."""
    from langchain_mistralai import MistralAIEmbeddings

    embeddings = MistralAIEmbeddings(model=MODEL, api_key=TOKEN, endpoint=url + "/v1/")  # type: ignore[arg-type]
    embeddings.embed_documents(texts)
    return 0


CHILDREN: dict[str, Callable[[str, list[str], int, str], int]] = {
    "embedkit": embedkit_child,
    "openai": openai_child,
    "mistralai": mistral_child,
    "embedkit-defaults": embedkit_defaults_child,
    "langchain_mistralai": langchain_child,
}


def run_child(kind: str, url: str, texts: int, part: int, limit: int, budget_file: str) -> dict[str, Any]:
    """In the child: imports and texts first, then the timed embedding; its window and failures as JSON.

    `part` -1: the whole corpus (one process).
    """
    __import__(kind.split("-")[0])
    if kind.startswith("embedkit"):
        warm_tokenizer()
    mine = corpus(texts) if part < 0 else corpus(texts)[part::PROCESSES]
    started = time.time()
    try:
        failures = CHILDREN[kind](url, mine, limit, budget_file)
    except Exception as error:
        print(f"{kind} failed: {type(error).__name__}: {error}", file=sys.stderr)
        failures = 1
    return {"started": started, "ended": time.time(), "failures": failures}


# --- the parent: servers, runs, table ----------------------------------------------------------------------------


@dataclass
class Run:
    """One client's run: what the server counted, the window and the failures."""

    name: str
    requests: int
    refused: int
    tokens: int
    seconds: float
    failures: int
    finished: bool = True

    def per_minute(self) -> float:
        """Tokens served per minute of the run."""
        return self.tokens / self.seconds * 60 if self.seconds > 0 else 0.0


def corpus_tokens(texts: int) -> int:
    """The corpus's tokens as the server counts them (mistral-common, as the `server` extra installs)."""
    from embedkit_server._tokens import COUNTER

    return sum(COUNTER.count(corpus(texts), MODEL))


def token_file(directory: Path) -> Path:
    """The servers' keys in a file, one a line: a key on the command line is shown by `ps` (the server warns)."""
    path = directory / "server-tokens"
    path.write_text(f"{TOKEN}\n{WARM_UP}\n", encoding="utf-8")
    return path


class LimitedServer:
    """A fresh reference server limited to `limit` tokens a minute, warmed up and with the key's minute spent."""

    def __init__(self, limit: int, directory: Path) -> None:
        from embedkit_server import ServerProcess

        self.output = directory / f"server-{time.monotonic_ns()}.out"
        command = [sys.executable, "-m", "embedkit_server", "--honour-base64", "--tokens-per-minute", str(limit),
                   "--token-file", str(token_file(directory))]  # fmt: skip
        self.process = ServerProcess(command, output=self.output)
        self.limit = limit
        self.spent = {"requests": 0, "tokens": 0}

    def __enter__(self) -> str:
        url = self.process.__enter__()
        with httpx.Client(base_url=url, timeout=60) as client:
            self._post(client, WARM_UP, ["warm up"])
            # Spend the key's minute: requests of about 16,000 tokens until the server refuses one.
            long_text = "spent " * 7000
            while self._post(client, TOKEN, [long_text, long_text]) == 200:
                pass
        return url

    def __exit__(self, *_: object) -> None:
        """Nothing: `stop` stops it, then reads its counters."""

    def _post(self, client: httpx.Client, key: str, texts: list[str]) -> int:
        answer = client.post("/v1/embeddings", json={"model": MODEL, "input": texts},
                             headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        if key == TOKEN:
            self.spent["requests"] += 1
            if answer.status_code == 200:
                self.spent["tokens"] += answer.json()["usage"]["total_tokens"]
        return answer.status_code

    def stop(self) -> dict[str, int]:
        """Stop it; its counters less the warm-up and the spending."""
        from embedkit_server._runner import read_stats

        self.process.__exit__(None, None, None)
        stats = read_stats(self.output.read_text())
        warm_up_tokens = 3  # "warm up": what the other key's request cost (its requests are not counted apart)
        return {
            "requests": stats["requests"] - 1 - self.spent["requests"],
            "refused": stats["refused"] - 1,  # the refusal that ended the spending
            "tokens": stats["tokens_served"] - self.spent["tokens"] - warm_up_tokens,
        }


def processes_run(kind: str, texts: int, limit: int, directory: Path, timeout: float) -> Run:
    """4 processes of `kind` against a fresh limited server."""
    server = LimitedServer(limit, directory)
    budget_file = str(directory / f"budget-{time.monotonic_ns()}.sqlite")
    finished = True
    with server as url:
        children = [
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    __file__,
                    "--child",
                    kind,
                    "--url",
                    url,
                    "--texts",
                    str(texts),
                    "--part",
                    str(part),
                    "--limit",
                    str(limit),
                    "--budget-file",
                    budget_file,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for part in range(PROCESSES)
        ]
        reports = []
        launched, deadline = time.time(), time.monotonic() + timeout
        for child in children:
            try:
                out, errors = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                out, errors = child.communicate()
                finished = False
            if out.strip():
                reports.append(json.loads(out.strip().splitlines()[-1]))
            elif errors:
                print(errors[-1500:], file=sys.stderr)
        stopped = time.time()
    counted = server.stop()
    # A child killed at the time limit reports nothing: its window is then the parent's, launch to kill.
    starts = [r["started"] for r in reports] if len(reports) == PROCESSES else [launched]
    ends = [r["ended"] for r in reports] if len(reports) == PROCESSES else [stopped]
    window = max(ends) - min(starts)
    failures = sum(r["failures"] for r in reports) + (PROCESSES - len(reports))
    return Run(f"{kind}, {PROCESSES} processes", counted["requests"], counted["refused"], counted["tokens"], window,
               failures, finished)  # fmt: skip


def dask_run(texts: int, limit: int, directory: Path) -> Run:
    """Embedkit on a 4-worker Dask LocalCluster (one budget: an actor) against a fresh limited server."""
    import os

    import dask.dataframe as dd
    import distributed
    import pandas as pd
    from embedkit.dask import embed_series

    server = LimitedServer(limit, directory)
    os.environ["MISTRAL_API_KEY"] = TOKEN  # the workers read it from the environment they inherit
    failures = 0
    with server as url:
        cluster = distributed.LocalCluster(n_workers=PROCESSES, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40)  # fmt: skip
        with cluster, distributed.Client(cluster) as client:
            client.run(warm_tokenizer)
            series = dd.from_pandas(pd.Series(corpus(texts)), npartitions=4 * PROCESSES)
            lazy = embed_series(series, base_url=url, batch_size=BATCH, tokens_per_minute=limit)
            started = time.time()
            try:
                lazy.sum(axis=1).compute()  # the rows stay on the workers; only their sums travel
            except Exception as error:
                print(f"dask run failed: {type(error).__name__}: {error}", file=sys.stderr)
                failures = 1
            ended = time.time()
    counted = server.stop()
    return Run(f"embedkit, Dask LocalCluster ({PROCESSES} workers)", counted["requests"], counted["refused"],
               counted["tokens"], ended - started, failures)  # fmt: skip


def reservation_cost(directory: Path, count: int = 2000) -> dict[str, float]:
    """Microseconds per budget reservation (limits far above what is asked, so nobody waits)."""
    from embedkit import RateBudget, RateLimits

    limits = RateLimits(requests_per_second=1e9, tokens_per_minute=1e12)
    found = {}
    for name, budget in (("in process", RateBudget.in_process(limits, "bench")),
                         ("SQLite file", RateBudget.in_file(limits, directory / "cost.sqlite", "bench"))):  # fmt: skip
        budget.acquire(1)
        started = time.perf_counter()
        for _ in range(count):
            budget.acquire(100)
        found[name] = (time.perf_counter() - started) / count * 1e6
    return found


def scenario(texts: int = 100_000, seconds: float = 60.0, sdks: bool = True, request_texts: int = 5000) -> list[str]:
    """Run the scenario, then the learned-rate one (`request_texts` 0: not); the report's lines, with targets."""
    limit = max(1, round(corpus_tokens(texts) * 60 / seconds))
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        runs = [processes_run("embedkit", texts, limit, directory, timeout=4 * seconds)]
        print(f"  rate limit, {runs[-1].name}: {runs[-1].seconds:.1f} s", file=sys.stderr, flush=True)
        runs.append(dask_run(texts, limit, directory))
        print(f"  rate limit, {runs[-1].name}: {runs[-1].seconds:.1f} s", file=sys.stderr, flush=True)
        for kind in ("openai", "mistralai") if sdks else ():
            runs.append(processes_run(kind, texts, limit, directory, timeout=2 * seconds))
            print(f"  rate limit, {runs[-1].name}: {runs[-1].seconds:.1f} s", file=sys.stderr, flush=True)
        costs = reservation_cost(directory)
    lines = [f"\n## Rate limit: {texts:,} texts, one key limited to L = {limit:,} tokens/min\n",
             f"The reference server with `--tokens-per-minute {limit}`, the key's minute spent before each run; "
             f"batches of {BATCH}. Achieved: tokens served per minute from the first request to the last answer. "
             "429s: the server's own count of refusals.\n",
             "| client | achieved tokens/min | x L | requests | answered 429 | failures | finished |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    for run in runs:
        share = run.refused / run.requests if run.requests else 0.0
        finished = "yes" if run.finished else "no (killed)"
        lines.append(f"| {run.name} | {run.per_minute():,.0f} | {run.per_minute() / limit:.2f} | {run.requests} | "
                     f"{run.refused} ({share:.1%}) | {run.failures} | {finished} |")  # fmt: skip
    lines.append("\nOne budget reservation: " + ", ".join(f"{name} {cost:.0f} µs" for name, cost in costs.items()))
    lines.append("\n### Rate-limit targets\n\n| target | measured | met |\n| --- | ---: | --- |")
    for run in runs[:2]:
        share = run.refused / run.requests if run.requests else 1.0
        for what, met, value in (
            ("achieved ≥ 95% of L", run.per_minute() >= 0.95 * limit, f"{run.per_minute() / limit:.1%}"),
            ("≤ 1% of requests answered 429", share <= 0.01, f"{share:.1%}"),
            ("0 failures", run.failures == 0 and run.finished, str(run.failures)),
        ):
            lines.append(f"| {run.name}: {what} | {value} | {'yes' if met else 'no'} |")
    if request_texts:
        lines += scenario_requests(request_texts)
    return lines


# --- limits learned, not configured: one process with default settings, a server limited per second ------------


def installed(module: str) -> bool:
    """Whether `module` can be imported here (langchain-mistralai is not among the bench extra's pins)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


@dataclass
class RateRun:
    """One client against a server limited to `limit` requests/s: what the server counted, the window, failures."""

    name: str
    limit: float
    requests: int
    refused: int
    seconds: float
    failures: int
    finished: bool = True
    # Whether the server said its request limit in headers (False: only by 429s, `--no-request-headers`).
    headers: bool = True
    # The server's token limit when it binds (0: none that does) and the tokens it served the client.
    tokens_limit: float = 0.0
    tokens: int = 0

    def binding(self) -> float:
        """The limit that binds, in requests/s: R, or the tokens per minute over the tokens a request carried."""
        answered = self.requests - self.refused
        if not self.tokens_limit or not self.tokens or answered < 1:
            return self.limit
        return min(self.limit, self.tokens_limit / 60 / (self.tokens / answered))

    def ratio(self) -> float:
        """Requests answered per second over the run (n answers, n - 1 intervals), over the limit that binds."""
        answered = self.requests - self.refused
        return (answered - 1) / self.seconds / self.binding() if self.seconds > 0 and answered > 1 else 0.0

    def share(self) -> float:
        """The share of requests answered 429."""
        return self.refused / self.requests if self.requests else 1.0


# The token limit of the "429s only" servers: far above what the runs spend (it never refuses), there so that their
# answers carry the token headers a service that tells no request limit still sends.
UNBINDING_TOKENS_PER_MINUTE = 100_000_000
# Mistral's free tier as reported: 1 request/s and 500,000 tokens/min per organisation
# (https://apis.io/rate-limits/mistral/mistral-rate-limits/), its answers carrying the token headers only (a
# user's probe of them: https://www.reddit.com/r/MistralAI/comments/1rc8rwf/, 2026-02-23).
FREE_TIER_REQUESTS_PER_SECOND = 1.0
FREE_TIER_TOKENS_PER_MINUTE = 500_000


def request_rate_run(
    kind: str, name: str, texts: int, limit: float, directory: Path, timeout: float, *, headers: bool = True,
    batch_size: int = 0, tokens_per_minute: int = 0,
) -> RateRun:  # fmt: skip
    """One process of `kind` embedding `texts` texts against a fresh server limited to `limit` requests/s.

    `headers=False`: the server tells its request limit only by 429s (`--no-request-headers`), and its token limit
    is `tokens_per_minute` (0: one that never binds); `batch_size` > 0: embedkit sends that many texts a request
    (0: its default batching).
    """
    from embedkit_server import ServerProcess
    from embedkit_server._runner import read_stats

    output = directory / f"server-{time.monotonic_ns()}.out"
    command = [sys.executable, "-m", "embedkit_server", "--honour-base64", "--requests-per-second", f"{limit:g}",
               "--token-file", str(token_file(directory))]  # fmt: skip
    if not headers:
        tokens = tokens_per_minute or UNBINDING_TOKENS_PER_MINUTE
        command += ["--no-request-headers", "--tokens-per-minute", str(tokens)]
    server = ServerProcess(command, output=output)
    finished, report = True, None
    with server as url:
        with httpx.Client(base_url=url, timeout=60) as client:  # the tokenizer's load, paid by another key
            client.post("/v1/embeddings", json={"model": MODEL, "input": ["warm up"]},
                        headers={"Authorization": f"Bearer {WARM_UP}"})  # fmt: skip
        child = subprocess.Popen(  # noqa: S603
            [sys.executable, __file__, "--child", kind, "--url", url, "--texts", str(texts), "--part", "-1",
             "--limit", str(batch_size), "--budget-file", ""],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        launched = time.time()
        try:
            out, errors = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            out, errors = child.communicate()
            finished = False
        if out.strip():
            report = json.loads(out.strip().splitlines()[-1])
        elif errors:
            print(errors[-1500:], file=sys.stderr)
        stopped = time.time()
    stats: dict[str, Any] = read_stats(output.read_text())
    # The server's span from the key's first admitted request to its last: the client's own start (imports, token
    # counting) is not the rate limit's; a run killed at the time limit counts from launch to kill.
    window = float(stats.get("admitted_span", 0.0)) if finished and report else stopped - launched
    failures = report["failures"] if report else 1
    return RateRun(name, limit, stats["requests"] - 1, stats["refused"], window, failures, finished, headers,
                   tokens_per_minute, int(stats.get("tokens_served", 0)))  # fmt: skip


EMBEDKIT_DEFAULTS = "embedkit (defaults)"
# The rows whose server tells its request limit only by 429s (`--no-request-headers`).
NO_REQUEST_HEADER = "embedkit (defaults), 429s only, no request header"
# The row against the free tier as reported (run at its 1 request/s only).
FREE_TIER = "embedkit (defaults), the free tier as reported: 429s only, 500,000 tokens/min"


def scenario_requests(
    texts: int = 5000, limits: tuple[float, ...] = (1.0, 2.0), timeout: float | None = None, batch_size: int = 0,
    sdks: bool = True,
) -> list[str]:  # fmt: skip
    """Default settings against servers limited per second, beside MistralAIEmbeddings; the report's lines.

    Embedkit runs twice a limit: the server telling its limit in headers, and telling it only by 429s; at the free
    tier's 1 request/s a third time, against the free tier's token limit too.
    `timeout`: how long a run may take before it is killed (default: generous for `texts`); `batch_size` > 0:
    embedkit's texts per request (0: its default batching, about 500 texts a request here); `sdks=False`: embedkit only.
    """
    clients = [("embedkit-defaults", EMBEDKIT_DEFAULTS, True, 0), ("embedkit-defaults", NO_REQUEST_HEADER, False, 0),
               ("embedkit-defaults", FREE_TIER, False, FREE_TIER_TOKENS_PER_MINUTE)]  # fmt: skip
    if sdks and installed("langchain_mistralai"):
        clients.append(("langchain_mistralai", "langchain-mistralai MistralAIEmbeddings", True, 0))
    per_request = batch_size or 500
    runs: list[RateRun] = []
    with tempfile.TemporaryDirectory() as temporary:
        for limit in limits:
            for kind, name, headers, tokens_per_minute in clients:
                if tokens_per_minute and limit != FREE_TIER_REQUESTS_PER_SECOND:
                    continue  # the free tier's token limit goes with its request limit only
                # Generous: 5,000 texts take about 10 requests; a client that fails to finish is killed.
                allowed = timeout if timeout is not None else 120 + 4 * texts / per_request / limit
                runs.append(request_rate_run(kind, name, texts, limit, Path(temporary), allowed, headers=headers,
                                             batch_size=batch_size if kind.startswith("embedkit") else 0,
                                             tokens_per_minute=tokens_per_minute))  # fmt: skip
                print(f"  request rate {limit:g}/s, {name}: {runs[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    batching = f"{batch_size} texts a request" if batch_size else "default batching"
    lines = [f"\n## Rate limit learned, not configured: {texts:,} texts ({batching}), a server limited per second\n",
             "The reference server with `--requests-per-second R` (it answers 429 with `Retry-After`, and the "
             "`x-ratelimit-*` headers api.mistral.ai is reported to send); each client in one process with its "
             "default settings (embedkit: no limit given). \"429s only, no request header\": the server also with "
             "`--no-request-headers` (only the token headers, and 429s with a whole-second `Retry-After`). \"The free "
             "tier as reported\": also with `--tokens-per-minute 500000`, the free tier's token limit, which binds "
             "first here (default batching puts about 11,000 tokens in a request: about 0.74 requests/s). Achieved: "
             "requests answered per second from the first request admitted to the last, as the server saw them "
             "(n answers, n - 1 intervals), over the limit that binds (R, or the tokens per minute over the tokens "
             "a request carried).\n",
             "| limit | client | requests | answered 429 | achieved x the binding limit | seconds | failures | "
             "finished |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    for run in runs:
        finished = "yes" if run.finished else "no (killed)"
        lines.append(f"| {run.limit:g}/s | {run.name} | {run.requests} | {run.refused} ({run.share():.1%}) | "
                     f"{run.ratio():.2f} | {run.seconds:.1f} | {run.failures} | {finished} |")  # fmt: skip
    if sdks and not installed("langchain_mistralai"):
        lines.append("\nlangchain-mistralai is not installed here (`pip install langchain-mistralai`): not run.")
    lines.append("\n### Learned-rate targets\n\n| target | measured | met |\n| --- | ---: | --- |")
    for run in runs:
        if run.name not in (EMBEDKIT_DEFAULTS, NO_REQUEST_HEADER, FREE_TIER):
            continue
        for what, met, value in (
            ("0 failures", run.failures == 0 and run.finished, str(run.failures)),
            ("achieved ≥ 90% of the limit", run.ratio() >= 0.9, f"{run.ratio():.1%}"),
            ("≤ 5% of requests answered 429", run.share() <= 0.05, f"{run.share():.1%}"),
        ):
            lines.append(f"| {run.name} at {run.limit:g} request/s: {what} | {value} | {'yes' if met else 'no'} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the scenario alone (bench.py runs it after the others), or one child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long an unhindered run takes; sets L")
    parser.add_argument("--no-sdks", action="store_true", help="embedkit only")
    parser.add_argument("--request-texts", type=int, default=5000, help="texts of the learned-rate runs; 0: skip")
    parser.add_argument(
        "--request-batch-size",
        type=int,
        default=0,
        help="embedkit's texts per request in the learned-rate runs (0: its default batching)",
    )
    parser.add_argument("--request-limits", default="1,2", help="the learned-rate runs' requests/s, comma-separated")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--part", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--budget-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, args.url, args.texts, args.part, args.limit, args.budget_file)))
        return 0
    if args.texts:
        lines = scenario(args.texts, args.seconds, sdks=not args.no_sdks, request_texts=args.request_texts)
    else:
        limits = tuple(float(limit) for limit in args.request_limits.split(","))
        lines = (
            scenario_requests(args.request_texts, limits, batch_size=args.request_batch_size, sdks=not args.no_sdks)
            if args.request_texts
            else []
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
