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
from pathlib import Path
from typing import Any, cast

import httpx

from ._base import EmbedOptions
from ._bulk import run_job
from ._cache import EmbeddingCache
from ._client import Embedder
from ._concurrency import DEFAULT_CONCURRENCY, DEFAULT_MAXIMUM
from ._errors import AuthenticationError, EmbeddingError, InputError
from ._extras import MissingDependencyError, raise_missing_extra
from ._files import FORMATS, count_records, detect_format, load_embeddings, open_output, read_records, sidecar_path
from ._policy import DEFAULT_TIMEOUT
from ._services import SERVICES
from ._similarity import top_k
from ._version import __version__

EXAMPLES = """examples:
  embedkit embed corpus.txt vectors.parquet                       # one text per line, Mistral, key from MISTRAL_API_KEY
  embedkit embed docs.jsonl out.parquet --text-field body --id-field doc_id --with-text
  cat texts.txt | embedkit embed - out.npy --model codestral-embed --output-dimension 256
  embedkit embed docs.csv out.parquet --service cortecs --preference speed --eu-native
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


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type for an integer flag of at least `minimum` (argparse turns the error into a usage error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number is needed, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
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
    service.add_argument("--service", choices=["mistral", "cortecs"], default="mistral", help="default: %(default)s")
    service.add_argument("--base-url", help="default: $MISTRAL_BASE_URL / $CORTECS_BASE_URL, else the service's")
    service.add_argument("--api-key-env", metavar="VARIABLE", help="read the key from this environment variable")
    service.add_argument("--allow-insecure-http", action="store_true", help="allow http:// to another machine")
    service.add_argument(
        "--max-concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY,
        help=f"requests in flight, or 'auto' (adaptive, up to {DEFAULT_MAXIMUM}); default: %(default)s",
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
    batch.add_argument("--batch-timeout-hours", type=int, default=24, help="the job's timeout_hours; %(default)s")
    batch.add_argument("--price-per-million", type=float, help="USD per 1M tokens, instead of the assumed table")


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
    embed.add_argument("input", help="a file (.txt lines, .jsonl, .csv, .parquet) or - for standard input")
    embed.add_argument(
        "output", help="a .parquet file (id, text hash, vector) or a .npy matrix (with OUTPUT.json: how it was made)"
    )
    reading = embed.add_argument_group("input")
    reading.add_argument("--format", choices=FORMATS, help="default: from the file name (lines for stdin)")
    reading.add_argument("--text-field", default="text", help="JSONL/CSV/Parquet text field; default: %(default)s")
    reading.add_argument("--id-field", help="JSONL/CSV/Parquet id field; default: the position in the file")
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
    _client_arguments(embed)

    search = commands.add_parser("search", help="find the texts nearest a query", description="Top-k search.")
    search.add_argument("embeddings", help="a file written by `embedkit embed` (.parquet, or .npy with its .npy.json)")
    search.add_argument("query", help="the text to search for")
    search.add_argument("-k", type=POSITIVE, default=5, help="how many results; default: %(default)s")
    _client_arguments(search)

    models = commands.add_parser("models", help="list the models a key may use", description="List models.")
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
                  "eu_native", "allow_quantization")  # fmt: skip


def _options(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> EmbedOptions:
    options: dict[str, Any] = {k: v for k, v in (stored or {}).items() if k in REQUEST_FIELDS and v is not None}
    given = {name: getattr(args, name) for name in REQUEST_FIELDS if name != "allowed_providers"}
    options.update({name: value for name, value in given.items() if value is not None})
    if args.allowed_providers:
        options["allowed_providers"] = [p.strip() for p in args.allowed_providers.split(",") if p.strip()]
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
    cache_path = None if args.no_cache else (args.cache or f"{args.output}.cache.sqlite")
    if Path(args.output).exists() and not args.overwrite:
        reuse = " (texts in its cache are not paid for again)" if cache_path else ""
        raise InputError(f"{args.output} exists; pass --overwrite to replace it{reuse}")
    fmt = detect_format(args.input, args.format)
    options = _options(args)
    with _job_cache(cache_path) as cache, _embedder(args, cache=cache) as embedder:
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
            step=(args.max_concurrency or DEFAULT_MAXIMUM) * args.batch_size,
        )  # fmt: skip
    print(
        f"wrote {summary.rows} rows to {args.output} ({summary.cached} from the cache, "
        f"{summary.usage.total_tokens} tokens billed)",
        file=sys.stderr,
    )
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
    from ._batch_api import BatchJobError
    from ._batch_job import run_batch
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
    if args.service == "cortecs":
        # cortecs.ai lists models at another route, in another shape (FACTS: GET api.cortecs.ai/v1/models), which
        # the contract does not describe yet: asking Mistral's route at cortecs' URL would only mislead.
        print("embedkit: listing models is not supported for cortecs yet (it has no models route in embedkit)",
              file=sys.stderr)  # fmt: skip
        return 1
    with _embedder(args) as embedder:
        for model in embedder.list_models():
            print(model)
    return 0


def _server_main() -> Callable[[list[str] | None], int]:
    # The reference server ships in the wheel, its dependencies (uvicorn, jsonschema-rs, PyYAML) in the `server` extra.
    try:
        from reference_server._cli import main
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
        return {"embed": _embed, "search": _search, "models": _models}[args.command](args)
    except (EmbeddingError, TypeError, ValueError, OSError) as error:
        print(f"embedkit: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        resume = " (run the same command again to resume from its cache)" if args.command == "embed" else ""
        print(f"embedkit: interrupted{resume}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
