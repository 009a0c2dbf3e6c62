"""The `embedkit` command: embed files, search the result, list models, run the local reference server.

Keys come from the environment only (MISTRAL_API_KEY, CORTECS_API_KEY, or the variable `--api-key-env`
names): a key on the command line would sit in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import httpx

from ._base import EmbedOptions
from ._bulk import run_job
from ._cache import EmbeddingCache
from ._client import Embedder
from ._concurrency import DEFAULT_MAXIMUM
from ._errors import AuthenticationError, CostLimitError, EmbeddingError, InputError, NotFoundError
from ._extras import MissingDependencyError, raise_missing_extra
from ._files import (
    FORMATS,
    Record,
    count_records,
    detect_format,
    load_embeddings,
    open_output,
    read_records,
    sidecar_path,
)
from ._memory import tune_allocator
from ._policy import DEFAULT_TIMEOUT
from ._pricing import Cost, Estimate
from ._services import SERVICES
from ._similarity import top_k
from ._version import __version__

EXAMPLES = """examples:
  embedkit embed corpus.txt vectors.parquet                       # one text per line, Mistral, key from MISTRAL_API_KEY
  embedkit embed docs.jsonl out.parquet --text-field body --id-field doc_id --with-text
  cat texts.txt | embedkit embed - out.npy --model codestral-embed --output-dimension 256
  embedkit embed docs.csv out.parquet --service cortecs --preference speed --eu-native
  embedkit estimate corpus.txt --service cortecs                   # tokens and price, before embedding
  embedkit embed corpus.txt vectors.parquet --max-cost 0.50         # refused if the estimate is over 0.50
  embedkit search out.parquet "how do I reset my password" -k 5
  embedkit serve --port 8000                                      # the local reference server (key: dev-token)
"""

OVERWRITE_HELP = (
    "replace OUTPUT if it exists (without this, an existing OUTPUT is refused). An interrupted job never leaves "
    "OUTPUT in place, so rerunning it to resume (same OUTPUT, same cache) needs no --overwrite; rerunning a "
    "finished job does, and reads every text it already embedded back from the cache instead of paying again"
)
# The CLI's own figure for the connect phase when only --timeout is given: the library's.
DEFAULT_CONNECT_TIMEOUT = DEFAULT_TIMEOUT.connect or 10.0


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type for an integer flag of at least `minimum` (and at most `maximum`): a usage error if not."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number is needed, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type for a duration: a finite number of seconds above zero (0 would mean "fail at once")."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of seconds is needed, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0, got {text!r}")
    return value


def _rate(text: str) -> float:
    """An argparse type for a rate limit: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number is needed, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


POSITIVE = _whole_number(1)
NON_NEGATIVE = _whole_number(0)


def _bool_flag(group: argparse._ArgumentGroup, name: str, help_text: str) -> None:
    group.add_argument(f"--{name}", dest=name.replace("-", "_"), action=argparse.BooleanOptionalAction, help=help_text)


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    service = parser.add_argument_group("service")
    service.add_argument(
        "--service", choices=sorted(SERVICES), default="mistral",
        help="cortecs: its current API; cortecs-serverless: its older route; default: %(default)s",
    )  # fmt: skip
    service.add_argument("--base-url", help="default: $MISTRAL_BASE_URL / $CORTECS_BASE_URL, else the service's")
    service.add_argument("--api-key-env", metavar="VARIABLE", help="read the key from this environment variable")
    service.add_argument("--allow-insecure-http", action="store_true", help="allow http:// to another machine")
    service.add_argument(
        "--max-concurrency", type=_concurrency, default=None, metavar="N|auto",
        help=f"requests in flight at most, or 'auto': as many as raise throughput, up to {DEFAULT_MAXIMUM}; "
        "default: auto",
    )  # fmt: skip
    service.add_argument("--max-retries", type=NON_NEGATIVE, default=5, help="0: no retry; default: %(default)s")
    service.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS",
        help=f"seconds to wait for each answer (read, write, pool); default: {DEFAULT_TIMEOUT.read:g}",
    )  # fmt: skip
    service.add_argument(
        "--connect-timeout", type=_seconds, metavar="SECONDS",
        help=f"seconds to wait for a connection; default: {DEFAULT_CONNECT_TIMEOUT:g}, or --timeout if shorter",
    )  # fmt: skip
    rates = parser.add_argument_group("rate limits (the key's, shared by every process using the same cache or file)")
    rates.add_argument(
        "--requests-per-second", type=_rate, metavar="N",
        help="send at most N requests a second; default: $EMBEDKIT_REQUESTS_PER_SECOND, else unlimited",
    )  # fmt: skip
    rates.add_argument(
        "--tokens-per-minute", type=_rate, metavar="N",
        help="send at most N tokens a minute; default: $EMBEDKIT_TOKENS_PER_MINUTE, else unlimited",
    )  # fmt: skip
    rates.add_argument(
        "--rate-budget-file", metavar="PATH",
        help="share the limits through this SQLite file (default: the job's cache; $EMBEDKIT_RATE_BUDGET_FILE)",
    )  # fmt: skip
    request = parser.add_argument_group("request options (each defaults to the service's)")
    request.add_argument("--model")
    request.add_argument("--output-dimension", type=POSITIVE, help="Mistral: vector size (codestral-embed: up to 3072)")
    request.add_argument("--output-dtype", choices=["float", "int8", "uint8", "binary", "ubinary"], help="Mistral")
    request.add_argument("--encoding-format", choices=["float", "base64"], help="wire format; default: base64")
    request.add_argument("--preference", choices=["speed", "cost", "balanced"], help="cortecs")
    request.add_argument("--allowed-providers", help="cortecs: comma-separated provider names")
    _bool_flag(request, "eu-native", "cortecs: only providers based in the EU")
    _bool_flag(request, "allow-quantization", "cortecs: allow quantized endpoints")
    _bool_flag(request, "allow-zero-data-retention", "cortecs: only providers that keep no data")
    _bool_flag(request, "enable-model-fallback", "cortecs: let --fallbacks serve when the model cannot")
    request.add_argument("--fallbacks", help="cortecs: comma-separated models to fall back to, in order")


def _batch_arguments(parser: argparse.ArgumentParser) -> None:
    batch = parser.add_argument_group("Mistral batch API (about half the price; minutes to hours; docs/batch.md)")
    batch.add_argument("--batch-api", action="store_true", help="embed through a batch job, resumably")
    batch.add_argument(
        "--batch-retry",
        choices=["sync", "batch", "none"],
        default="sync",
        help="failed lines: embed them synchronously, in one more batch job, or fail; default: %(default)s",
    )
    batch.add_argument("--poll-interval", type=float, default=10.0, help="seconds between polls; %(default)s")
    from ._batch_api import DEFAULT_TIMEOUT_HOURS, TIMEOUT_HOURS  # the contract's bounds, checked before any upload

    batch.add_argument(
        "--batch-timeout-hours",
        type=_whole_number(*TIMEOUT_HOURS),
        default=DEFAULT_TIMEOUT_HOURS,
        help=f"the job's timeout_hours, {TIMEOUT_HOURS[0]} to {TIMEOUT_HOURS[1]}; %(default)s",
    )


def _money(text: str) -> float:
    """An argparse type for an amount of money or a price: a finite number, at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an amount is needed, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite amount of at least 0, got {text!r}")
    return value


def _input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a file (.txt lines, .jsonl, .csv, .parquet) or - for standard input")


def _reading_arguments(parser: argparse.ArgumentParser) -> None:
    reading = parser.add_argument_group("input")
    reading.add_argument("--format", choices=FORMATS, help="default: from the file name (lines for stdin)")
    reading.add_argument("--text-field", default="text", help="JSONL/CSV/Parquet text field; default: %(default)s")
    reading.add_argument("--id-field", help="JSONL/CSV/Parquet id field; default: the position in the file")


def _cost_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    cost = parser.add_argument_group("cost")
    cost.add_argument(
        "--price-per-million", type=_money, metavar="PRICE",
        help="price of 1M input tokens in the service's currency (Mistral: USD, cortecs: EUR), instead of "
        "Mistral's dated table or cortecs' models route",
    )  # fmt: skip
    return cost


def _concurrency(value: str) -> int | None:
    """`--max-concurrency`: a whole number of requests in flight, or `auto` for the adaptive limit."""
    return None if value == "auto" else POSITIVE(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedkit",
        description="Embed texts with Mistral AI or cortecs.ai into Parquet or .npy files, and search them.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"embedkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    embed = commands.add_parser(
        "embed", help="embed a file of texts", description="Embed every text of INPUT into OUTPUT, resumably."
    )
    _input_arguments(embed)
    embed.add_argument(
        "output", help="a .parquet file (id, text hash, vector) or a .npy matrix (with OUTPUT.json: how it was made)"
    )
    _reading_arguments(embed)
    job = embed.add_argument_group("job")
    job.add_argument("--with-text", action="store_true", help="store each text beside its vector (Parquet)")
    job.add_argument("--normalize", action="store_true", help="unit-length float vectors")
    job.add_argument("--truncate", action="store_true", help="cut over-long inputs instead of failing")
    job.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    job.add_argument("--cache", help="SQLite cache and resume record; default: OUTPUT.cache.sqlite")
    job.add_argument("--no-cache", action="store_true", help="neither read nor write a cache (no resume)")
    job.add_argument(
        "--window", type=POSITIVE, default=4096, help="texts written at a time (memory); default: %(default)s"
    )
    job.add_argument("--batch-size", type=POSITIVE, default=512, help="inputs per request; default: %(default)s")
    job.add_argument(
        "--max-batch-tokens", type=POSITIVE, default=16384, help="estimated tokens per request; default: %(default)s"
    )
    job.add_argument(
        "--max-input-tokens", type=POSITIVE, default=8192, help="estimated tokens per input; default: %(default)s"
    )
    _bool_flag(job, "progress", "progress bar (default: when stderr is a terminal)")
    _batch_arguments(embed)
    _cost_arguments(embed).add_argument(
        "--max-cost", type=_money, metavar="AMOUNT",
        help="refuse to start a job estimated above AMOUNT (in the service's currency); from standard input, "
        "which is read once, stop before the first call that would pass it",
    )  # fmt: skip
    _client_arguments(embed)

    estimate = commands.add_parser(
        "estimate", help="count the tokens of a file of texts and price them",
        description="Count the tokens embedding INPUT would send (minus texts in --cache), and price them.",
    )  # fmt: skip
    _input_arguments(estimate)
    _reading_arguments(estimate)
    estimate.add_argument("--truncate", action="store_true", help="count over-long inputs cut, instead of failing")
    estimate.add_argument("--cache", help="a job's cache: texts already in it are not counted")
    estimate.add_argument("--batch-api", action="store_true", help="price Mistral's batch API (about half)")
    _cost_arguments(estimate)
    _client_arguments(estimate)

    search = commands.add_parser("search", help="find the texts nearest a query", description="Top-k search.")
    search.add_argument("embeddings", help="a file written by `embedkit embed` (.parquet, or .npy with its .npy.json)")
    search.add_argument("query", help="the text to search for")
    search.add_argument("-k", type=POSITIVE, default=5, help="how many results; default: %(default)s")
    _client_arguments(search)

    models = commands.add_parser("models", help="list the models a key may use", description="List models.")
    models.add_argument(
        "-l", "--long", action="store_true",
        help="with each model's price per 1M tokens (cortecs': its route's; Mistral's: the dated table) and providers",
    )  # fmt: skip
    _client_arguments(models)

    commands.add_parser("serve", help="run the local reference server (see `embedkit serve --help`)", add_help=False)
    return parser


def _api_key(args: argparse.Namespace) -> str:
    """The key, from the variable the user named or the service's; the message speaks of flags, not arguments."""
    variable = args.api_key_env or SERVICES[args.service].key_variable
    key = os.environ.get(variable)
    if not key:
        hint = "" if args.api_key_env else " (or name another variable with --api-key-env)"
        raise AuthenticationError(f"no API key: set {variable}{hint}")
    return key


def _timeout(args: argparse.Namespace) -> httpx.Timeout:
    # --timeout bounds waiting for an answer; the connect phase keeps the library's shorter default, since a
    # service that does not accept a connection in seconds is down, and waiting a minute to learn it helps no one.
    answer: float = args.timeout if args.timeout is not None else (DEFAULT_TIMEOUT.read or 60.0)
    connect: float = args.connect_timeout or min(answer, DEFAULT_CONNECT_TIMEOUT)
    return httpx.Timeout(answer, connect=connect)


def _embedder(args: argparse.Namespace, *, cache: EmbeddingCache | None = None) -> Embedder:
    return Embedder(
        args.service,
        api_key=_api_key(args),
        base_url=args.base_url,
        allow_insecure_http=args.allow_insecure_http,
        max_concurrency=args.max_concurrency,
        max_retries=args.max_retries,
        timeout=_timeout(args),
        batch_size=getattr(args, "batch_size", 512),
        max_batch_tokens=getattr(args, "max_batch_tokens", 16384),
        max_input_tokens=getattr(args, "max_input_tokens", 8192),
        cache=cache,
        progress=False,
        requests_per_second=args.requests_per_second,
        tokens_per_minute=args.tokens_per_minute,
        rate_budget=args.rate_budget_file,
    )


REQUEST_FIELDS = ("model", "output_dimension", "output_dtype", "encoding_format", "preference", "allowed_providers",
                  "eu_native", "allow_quantization", "allow_zero_data_retention", "enable_model_fallback",
                  "fallbacks")  # fmt: skip
LIST_FIELDS = ("allowed_providers", "fallbacks")  # comma-separated on the command line


def _options(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> EmbedOptions:
    options: dict[str, Any] = {k: v for k, v in (stored or {}).items() if k in REQUEST_FIELDS and v is not None}
    given = {name: getattr(args, name) for name in REQUEST_FIELDS if name not in LIST_FIELDS}
    options.update({name: value for name, value in given.items() if value is not None})
    for name in LIST_FIELDS:
        if getattr(args, name):
            options[name] = [item.strip() for item in getattr(args, name).split(",") if item.strip()]
    return cast(EmbedOptions, options)


@contextlib.contextmanager
def _job_cache(path: str | None) -> Iterator[EmbeddingCache | None]:
    """The job's cache; removed again if this run created it and the run failed before committing a row.

    A cache with rows is the resume record of a failed job and stays; an empty one the run just made is litter.
    """
    if path is None:
        yield None
        return
    created = not Path(path).exists()
    cache = EmbeddingCache(path)
    try:
        yield cache
    except BaseException:
        empty = created and len(cache) == 0
        cache.close()
        if empty:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
        raise
    cache.close()


def _embed(args: argparse.Namespace) -> int:
    # The command owns its process, which is a bulk job: the allocator setting a library must not impose is
    # this process's to choose (see `tune_allocator`), made before the job allocates its first buffer.
    tune_allocator()
    cache_path = None if args.no_cache else (args.cache or f"{args.output}.cache.sqlite")
    if Path(args.output).exists() and not args.overwrite:
        reuse = " (texts in its cache are not paid for again)" if cache_path else ""
        raise InputError(f"{args.output} exists; pass --overwrite to replace it{reuse}")
    fmt = detect_format(args.input, args.format)
    options = _options(args)
    if args.max_cost is not None and args.batch_api:
        raise InputError("--max-cost applies to synchronous jobs; estimate a batch job with `embedkit estimate`")
    with _job_cache(cache_path) as cache, _embedder(args, cache=cache) as embedder:
        _load_prices(args, embedder)
        budget = _budget(args, embedder, fmt, options) if args.max_cost is not None else None
        # The file records every request field, so that `search` embeds its query exactly as the rows were.
        metadata = {"service": args.service, **options, "model": options.get("model", embedder.model)}
        if args.normalize:
            metadata["normalize"] = True
        records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field)
        output = open_output(args.output, with_text=args.with_text, metadata=metadata)
        show = sys.stderr.isatty() if args.progress is None else args.progress
        if args.batch_api:
            _embed_in_batch(args, embedder, fmt, cache, options, show)
        summary = run_job(
            embedder, records, output, window=args.window, total=count_records(args.input, fmt) if show else None,
            options=EmbedOptions(**options, normalize=args.normalize, truncate=args.truncate), progress=show,
            # One round of batches a call: the pipe stays full, and an interrupted job stops within two rounds.
            step=(args.max_concurrency or DEFAULT_MAXIMUM) * args.batch_size, before_call=budget,
        )  # fmt: skip
    spent = f"; cost {summary.cost}" if summary.cost is not None else "; cost unknown (no price for the model)"
    print(
        f"wrote {summary.rows} rows to {args.output} ({summary.cached} from the cache, "
        f"{summary.usage.total_tokens} tokens billed){spent}",
        file=sys.stderr,
    )
    return 0


def _load_prices(args: argparse.Namespace, embedder: Embedder) -> None:
    """Make the client price its results: the user's price, or cortecs' models route (read once)."""
    if args.price_per_million is not None:
        embedder._price_override = args.price_per_million
    elif embedder._needs_prices(None):
        with contextlib.suppress(NotFoundError):  # a deployment without the models route: costs stay unknown
            embedder.models()
        embedder._prices = embedder._prices or {}


def _file_estimate(
    embedder: Embedder, records: Iterator[Record], options: EmbedOptions, *, truncate: bool, batch: bool,
    price: float | None, window: int = 4096,
) -> Estimate:  # fmt: skip
    """The estimate of a whole file, counted a window at a time (memory stays bounded), priced once."""
    total: Estimate | None = None
    for start in range(0, 1 << 62, window):
        chunk = [record.text for _, record in zip(range(window), records, strict=False)]
        if not chunk:
            break
        try:
            part = embedder._count(chunk, {**options, "truncate": truncate}, batch=batch)
        except InputError as error:
            if error.index is None:
                raise
            raise type(error)(f"input {start + error.index}: {error}", index=start + error.index) from error
        total = part if total is None else replace(
            total, texts=total.texts + part.texts, cached=total.cached + part.cached, tokens=total.tokens + part.tokens,
            exact=total.exact and part.exact,
        )  # fmt: skip
    if total is None:
        raise InputError("the input has no texts to estimate")
    if embedder._needs_prices(price):
        with contextlib.suppress(NotFoundError):  # a deployment without the models route: no price
            embedder.models()
        embedder._prices = embedder._prices or {}
    return embedder._estimated(total, price)


def _budget(
    args: argparse.Namespace, embedder: Embedder, fmt: str, options: EmbedOptions
) -> Callable[[list[Record]], None]:
    """Refuse a job whose estimate is over --max-cost; the check each call of the job passes before it is sent.

    A file is estimated whole before anything is sent. Standard input can be read only once, so there each call
    is estimated before it is sent, and the job stops before the first one that would pass the limit.
    """
    limit: float = args.max_cost

    def refuse(estimate: Estimate, what: str, after: str = "") -> CostLimitError:
        assert estimate.cost is not None
        return CostLimitError(
            f"{what} is estimated at {estimate.cost.amount:.6g} {estimate.cost.currency}, over --max-cost "
            f"{limit:g} ({estimate.describe()}){after}",
            estimate=estimate.cost.amount, limit=limit, currency=estimate.cost.currency,
        )  # fmt: skip

    def priced(estimate: Estimate) -> Estimate:
        if estimate.cost is None:
            raise InputError(f"--max-cost needs a price and none is known for {estimate.model}: "
                             "pass --price-per-million", argument="max_cost")  # fmt: skip
        return estimate

    if args.input != "-":
        records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field)
        whole = priced(_file_estimate(embedder, iter(records), options, truncate=args.truncate, batch=False,
                                      price=args.price_per_million))  # fmt: skip
        if whole.cost is not None and whole.cost.amount > limit:
            raise refuse(whole, "the job")
        print(f"estimate: {whole.describe()}", file=sys.stderr)
    spent: list[Cost] = []

    def before_call(chunk: list[Record]) -> None:
        call_options = cast(EmbedOptions, {**options, "truncate": args.truncate})
        part = priced(embedder.estimate([r.text for r in chunk], price_per_million=args.price_per_million,
                                        **call_options))  # fmt: skip
        assert part.cost is not None
        so_far = sum(cost.amount for cost in spent)
        if so_far + part.cost.amount > limit:
            raise refuse(
                part, f"the next call (records {chunk[0].id} on)",
                f"; stopped before it, after about {so_far:.6g} {part.cost.currency} of work: the rows embedded so "
                "far are in the cache, and a rerun with a higher --max-cost goes on from there",
            )  # fmt: skip
        spent.append(part.cost)

    return before_call


def _estimate(args: argparse.Namespace) -> int:
    fmt = detect_format(args.input, args.format)
    options = _options(args)
    cache = EmbeddingCache(args.cache) if args.cache else None
    try:
        with _embedder(args, cache=cache) as embedder:
            records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field)
            estimate = _file_estimate(embedder, iter(records), options, truncate=args.truncate,
                                      batch=args.batch_api, price=args.price_per_million)  # fmt: skip
    finally:
        if cache is not None:
            cache.close()
    print(estimate.describe())
    return 0


def _embed_in_batch(
    args: argparse.Namespace,
    embedder: Embedder,
    fmt: str,
    cache: EmbeddingCache | None,
    options: EmbedOptions,
    show: bool,
) -> None:
    """Fill the cache through Mistral's batch API (resuming an unfinished job); the bulk job then writes from it."""
    from ._batch_job import run_batch
    from ._errors import BatchJobError
    from ._pricing import cost

    if cache is None:
        raise ValueError("--batch-api needs the cache file, which records the job to resume it: drop --no-cache")
    store = embedder._settings.cache
    assert store is not None
    tokens, rounds = 0, 1 + (args.batch_retry == "batch")
    for round_number in range(1, rounds + 1):
        outcome = run_batch(
            embedder,
            lambda: read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field),
            store,
            overrides=dict(options),
            truncate=args.truncate,
            window=args.window,
            poll_interval=args.poll_interval,
            timeout_hours=args.batch_timeout_hours,
            progress=show,
        )
        tokens += outcome.tokens
        if outcome.job_id is not None:
            print(f"batch job {outcome.job_id}: {outcome.status}, {outcome.inputs} inputs embedded, "
                  f"{len(outcome.failures)} lines failed", file=sys.stderr)  # fmt: skip
        if not outcome.failures:
            break
        if args.batch_retry == "none" or (args.batch_retry == "batch" and round_number == rounds):
            first = outcome.failures[0]
            raise BatchJobError(
                f"{len(outcome.failures)} request lines failed in batch job {outcome.job_id} (first: "
                f"{first.custom_id}: {first.message}); rerun with --batch-retry sync to embed them synchronously",
                failures=outcome.failures,
            )
    print(f"batch cost: {cost(tokens, options.get('model', embedder.model), price=args.price_per_million).describe()}",
          file=sys.stderr)  # fmt: skip


def _search(args: argparse.Namespace) -> int:
    stored = load_embeddings(args.embeddings)
    if not stored.metadata and args.model is None:
        raise InputError(
            f"{args.embeddings} does not say how it was made (no {sidecar_path(args.embeddings).name}); pass the "
            "--model (and --output-dimension, --service) it was embedded with"
        )
    dtype = stored.metadata.get("output_dtype") or "float"
    if dtype != "float" or stored.vectors.dtype.kind != "f":
        kind = f"output_dtype={dtype!r}" if dtype != "float" else f"{stored.vectors.dtype} values"
        measure = "Hamming distance" if dtype in ("binary", "ubinary") else "a quantization-aware measure"
        raise InputError(
            f"{args.embeddings} holds {kind} codes, which cosine search would score meaninglessly (it needs "
            f"{measure}, not supported yet); embed with --output-dtype float to search"
        )
    # The query must be embedded by the service (and, below, the model and options) the file was made with.
    args.service = stored.metadata.get("service", args.service)
    with _embedder(args) as embedder:
        query = embedder.embed(args.query, **_options(args, stored.metadata)).vectors
    if query.shape[1] != stored.vectors.shape[1]:
        raise InputError(
            f"the query has {query.shape[1]} dimensions but {args.embeddings} has {stored.vectors.shape[1]}: "
            "search with the model and --output-dimension the file was made with"
        )
    indices, scores = top_k(query, stored.vectors, k=args.k)
    for rank, (index, score) in enumerate(zip(indices[0], scores[0], strict=True), 1):
        text = f"  {stored.texts[index]}" if stored.texts else ""
        print(f"{rank}. {score:.4f}  {stored.ids[index]}{text}")
    return 0


def _models(args: argparse.Namespace) -> int:
    with _embedder(args) as embedder:
        for model in embedder.models():
            if not args.long:
                print(model.id)
                continue
            price = (f"{model.price.per_million:g} {model.price.currency} per 1M tokens" if model.price is not None
                     else "price unknown")  # fmt: skip
            providers = f"  providers: {', '.join(model.providers)}" if model.providers else ""
            print(f"{model.id}  {price}{providers}")
    return 0


def _server_main() -> Callable[[list[str] | None], int]:
    # The reference server ships in the wheel, its dependencies (uvicorn, jsonschema-rs, PyYAML) in the `server` extra.
    try:
        from embedkit_server._cli import main
    except ModuleNotFoundError as error:
        raise_missing_extra(error, extra="server", feature="embedkit serve")
    return main


def _serve(argv: list[str]) -> int:
    try:
        serve = _server_main()
    except MissingDependencyError as error:
        print(f"embedkit: {error}", file=sys.stderr)
        return 1
    return int(serve(argv))


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors are reported in one line on stderr with exit status 1 (usage errors: 2)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return _serve(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return {"embed": _embed, "estimate": _estimate, "search": _search, "models": _models}[args.command](args)
    except (EmbeddingError, TypeError, ValueError, OSError) as error:
        print(f"embedkit: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        resume = " (run the same command again to resume from its cache)" if args.command == "embed" else ""
        print(f"embedkit: interrupted{resume}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
