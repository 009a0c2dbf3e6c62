"""The `embedkit` command: embed files, search the result, list models, run the local reference server.

Keys come from the environment only (MISTRAL_API_KEY, CORTECS_API_KEY, or the variable `--api-key-env`
names): a key on the command line would sit in the shell history and the process list.

Each subcommand has one function adding its flags (`_embed_arguments`, `_search_arguments`, ...) and one running
it (`_embed`, `_search`, ...), tied together by `COMMANDS` at the end of this module: a new flag goes into its
subcommand's function, so `--help` lists only what applies. The module imports nothing heavy at its top (no
httpx, numpy, asyncio, sqlite3 or generated models): `embedkit --version` and `--help` must answer at once, so
each command imports what it needs when it runs, and the few library constants the help quotes are copied here
(a test checks that they equal the library's).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from ._errors import AuthenticationError, CostLimitError, EmbeddingError, InputError, NotFoundError
from ._version import __version__

if TYPE_CHECKING:
    import httpx

    from ._base import EmbedOptions
    from ._bulk import JobSummary
    from ._cache import EmbeddingCache
    from ._client import Embedder
    from ._files import Record
    from ._pricing import BatchCost, Cost, Estimate

# Library constants the help quotes, copied so that `--help` imports nothing heavy; tests/test_cli.py checks each
# against its source (_services.SERVICES, _files.FORMATS, _concurrency.DEFAULT_MAXIMUM, _policy.DEFAULT_TIMEOUT,
# _batch_api.TIMEOUT_HOURS and DEFAULT_TIMEOUT_HOURS).
SERVICE_NAMES = ("cortecs", "cortecs-serverless", "mistral")
FILE_FORMATS = ("lines", "jsonl", "csv", "parquet")
MAX_CONCURRENCY = 32
DEFAULT_READ_TIMEOUT = 60.0
# The CLI's own figure for the connect phase when only --timeout is given: the library's.
DEFAULT_CONNECT_TIMEOUT = 10.0
BATCH_TIMEOUT_HOURS = (1, 168)
DEFAULT_BATCH_TIMEOUT_HOURS = 24

EXAMPLES = """examples:
  embedkit embed corpus.txt vectors.parquet                       # one text per line, Mistral, key from MISTRAL_API_KEY
  embedkit embed docs.jsonl out.parquet --text-field body --id-field doc_id --with-text
  cat texts.txt | embedkit embed - out.npy --model codestral-embed --output-dimension 256
  embedkit embed docs.csv routed.parquet --service cortecs --preference speed --eu-native
  embedkit estimate corpus.txt --service cortecs                   # tokens and price, before embedding
  embedkit embed corpus.txt vectors.parquet --max-cost 0.50         # refused if the estimate is over 0.50
  embedkit search out.parquet "how do I reset my password" -k 5
  embedkit serve --port 8000                                      # the local reference server (key: dev-token)

`embedkit COMMAND --help` lists the flags of COMMAND.
"""

ENVIRONMENT = """environment:
  MISTRAL_API_KEY              the key for --service mistral (read from the environment only, never a flag: a
                               flag would sit in the shell history; --api-key-env names another variable)
  CORTECS_API_KEY              the key for --service cortecs and cortecs-serverless
  MISTRAL_BASE_URL             the service's URL when --base-url is not given (else https://api.mistral.ai)
  CORTECS_BASE_URL             likewise for cortecs (else https://api.cortecs.ai/v1)
  CORTECS_SERVERLESS_BASE_URL  likewise for cortecs-serverless (else https://cortecs.ai)
"""

RATE_ENVIRONMENT = """  EMBEDKIT_REQUESTS_PER_SECOND, EMBEDKIT_TOKENS_PER_MINUTE, EMBEDKIT_RATE_BUDGET_FILE
                               defaults of --requests-per-second, --tokens-per-minute, --rate-budget-file
"""

OVERWRITE_HELP = (
    "replace OUTPUT if it exists (without this, an existing OUTPUT is refused). An interrupted job never leaves "
    "OUTPUT in place, so rerunning it to resume (same OUTPUT, same cache) needs no --overwrite; rerunning a "
    "finished job does, and reads every text it already embedded back from the cache instead of paying again"
)


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


def _money(text: str) -> float:
    """An argparse type for an amount of money or a price: a finite number, at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an amount is needed, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite amount of at least 0, got {text!r}")
    return value


POSITIVE = _whole_number(1)
NON_NEGATIVE = _whole_number(0)


def _concurrency(value: str) -> int | None:
    """`--max-concurrency`: a whole number of requests in flight, or `auto` for the adaptive limit."""
    return None if value == "auto" else POSITIVE(value)


def _bool_flag(group: argparse._ArgumentGroup, name: str, help_text: str) -> None:
    group.add_argument(f"--{name}", dest=name.replace("-", "_"), action=argparse.BooleanOptionalAction, help=help_text)


# --- flag groups shared by several subcommands ----------------------------------------------------------------------


def _service_arguments(parser: argparse.ArgumentParser) -> None:
    """Which service, where, with which key, and how long to wait: every subcommand that calls a service."""
    service = parser.add_argument_group("service (the key comes from the environment: see below)")
    service.add_argument(
        "--service", choices=SERVICE_NAMES, default="mistral",
        help="cortecs: its current API; cortecs-serverless: its older route; default: %(default)s",
    )  # fmt: skip
    service.add_argument("--base-url", help="default: $MISTRAL_BASE_URL / $CORTECS_BASE_URL, else the service's")
    service.add_argument(
        "--api-key-env", metavar="VARIABLE",
        help="read the key from this environment variable instead of MISTRAL_API_KEY / CORTECS_API_KEY",
    )  # fmt: skip
    service.add_argument("--allow-insecure-http", action="store_true", help="allow http:// to another machine")
    service.add_argument("--max-retries", type=NON_NEGATIVE, default=5, help="0: no retry; default: %(default)s")
    service.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS",
        help=f"seconds to wait for each answer (read, write, pool); default: {DEFAULT_READ_TIMEOUT:g}",
    )  # fmt: skip
    service.add_argument(
        "--connect-timeout", type=_seconds, metavar="SECONDS",
        help=f"seconds to wait for a connection; default: {DEFAULT_CONNECT_TIMEOUT:g}, or --timeout if shorter",
    )  # fmt: skip


def _throughput_arguments(parser: argparse.ArgumentParser) -> None:
    """Requests in flight and the key's rate limits: for commands that send many requests."""
    parser.add_argument_group("throughput").add_argument(
        "--max-concurrency", type=_concurrency, default=None, metavar="N|auto",
        help=f"requests in flight at most, or 'auto': as many as raise throughput, up to {MAX_CONCURRENCY}; "
        "default: auto",
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


def _request_arguments(parser: argparse.ArgumentParser, title: str) -> None:
    """The request fields sent with each text (REQUEST_FIELDS): model, Mistral's output shape, cortecs' routing."""
    request = parser.add_argument_group(title)
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


def _input_arguments(parser: argparse.ArgumentParser) -> None:
    """INPUT and how to read it: for the commands that read a file of texts."""
    parser.add_argument(
        "input", help="a file (.txt lines, .jsonl, .csv, .parquet), a folder or a quoted glob pattern (one text per "
        "file, its path the id), or - for standard input",
    )  # fmt: skip
    reading = parser.add_argument_group("input")
    reading.add_argument("--format", choices=FILE_FORMATS, help="default: from the file name (lines for stdin)")
    reading.add_argument("--text-field", default="text", help="JSONL/CSV/Parquet text field; default: %(default)s")
    reading.add_argument("--id-field", help="JSONL/CSV/Parquet id field; default: the position in the file")
    reading.add_argument("--glob", metavar="PATTERN", help="INPUT a folder: its files to read; default: **/* "
                         "(hidden files skipped)")  # fmt: skip


def _cost_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    cost = parser.add_argument_group("cost")
    cost.add_argument(
        "--price-per-million", type=_money, metavar="PRICE",
        help="price of 1M input tokens in the service's currency (Mistral: USD, cortecs: EUR), instead of "
        "Mistral's dated table or cortecs' models route",
    )  # fmt: skip
    return cost


# --- one function per subcommand, adding its flags --------------------------------------------------------------


def _embed_arguments(embed: argparse.ArgumentParser) -> None:
    _input_arguments(embed)
    embed.add_argument(
        "output", help="a .parquet file (id, text hash, vector) or a .npy matrix (with OUTPUT.json: how it was made)"
    )
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
    _bool_flag(job, "progress", "progress bar, moved at each batch (default: when stderr is a terminal)")
    chunks = embed.add_argument_group(
        "long documents (Parquet output: one row per chunk, with parent_id, chunk_index, char_start, char_end)"
    )
    chunks.add_argument(
        "--chunk-tokens", type=_whole_number(2), metavar="N",
        help="split each text into chunks of at most N tokens, counted with the model's tokenizer",
    )  # fmt: skip
    chunks.add_argument(
        "--overlap", type=NON_NEGATIVE, default=0, metavar="M", help="tokens neighbouring chunks share; default: 0"
    )
    chunks.add_argument(
        "--pool", action="store_true",
        help="one row per text instead (any output, with the text's own id and columns): the mean of its chunks' "
        "unit vectors weighted by their tokens (unit length again with --normalize); needs float vectors",
    )  # fmt: skip
    batch = embed.add_argument_group("Mistral batch API (about half the price; minutes to hours; docs/batch.md)")
    batch.add_argument("--batch-api", action="store_true", help="embed through a batch job, resumably")
    batch.add_argument(
        "--batch-retry", choices=["sync", "batch", "none"], default="sync",
        help="failed lines: embed them synchronously, in one more batch job, or fail; default: %(default)s",
    )  # fmt: skip
    batch.add_argument("--poll-interval", type=float, default=10.0, help="seconds between polls; %(default)s")
    batch.add_argument(
        "--batch-timeout-hours", type=_whole_number(*BATCH_TIMEOUT_HOURS), default=DEFAULT_BATCH_TIMEOUT_HOURS,
        help=f"the job's timeout_hours, {BATCH_TIMEOUT_HOURS[0]} to {BATCH_TIMEOUT_HOURS[1]}; %(default)s",
    )  # fmt: skip
    _cost_arguments(embed).add_argument(
        "--max-cost", type=_money, metavar="AMOUNT",
        help="refuse to start a job estimated above AMOUNT (in the service's currency); from standard input, "
        "which is read once, stop before the first call that would pass it",
    )  # fmt: skip
    _request_arguments(embed, "request options (each defaults to the service's)")
    _service_arguments(embed)
    _throughput_arguments(embed)


def _estimate_arguments(estimate: argparse.ArgumentParser) -> None:
    _input_arguments(estimate)
    counting = estimate.add_argument_group("counting")
    counting.add_argument("--model", help="the model whose tokenizer and price apply; default: the service's")
    counting.add_argument("--truncate", action="store_true", help="count over-long inputs cut, instead of failing")
    counting.add_argument("--cache", help="a job's cache: texts already in it are not counted")
    counting.add_argument("--batch-api", action="store_true", help="price Mistral's batch API (about half)")
    _cost_arguments(estimate)
    _service_arguments(estimate)


def _search_arguments(search: argparse.ArgumentParser) -> None:
    search.add_argument("embeddings", help="a file written by `embedkit embed` (.parquet, or .npy with its .npy.json)")
    search.add_argument("query", nargs="?", help="the text to search for (or --id)")
    search.add_argument("-k", type=POSITIVE, default=5, help="how many results; default: %(default)s")
    search.add_argument("--id", metavar="ID", help="instead of a query: the neighbours of the row with this id")
    search.add_argument(
        "--where", action="append", default=[], metavar="COLUMN=VALUE",
        help="only rows whose COLUMN (id, text, or any column kept from the input) is VALUE; repeat to AND",
    )  # fmt: skip
    search.add_argument("--json", action="store_true", help="print the hits as a JSON array, with every column")
    # Approximate search (the `ann` extra, embedkit._ann): only when asked, or for a large file with an index.
    method = search.add_mutually_exclusive_group()
    method.add_argument(
        "--index", dest="method", action="store_const", const="index", default="auto",
        help="search through the approximate index EMBEDDINGS.ann (built if missing, rebuilt if stale; needs "
        "embedkit[ann]). Default: the index when one exists and EMBEDDINGS has 200,000 rows or more, else exact",
    )  # fmt: skip
    method.add_argument("--exact", dest="method", action="store_const", const="exact",
                        help="exact search, even where an index exists")  # fmt: skip
    _request_arguments(search, "request options (read from EMBEDDINGS' metadata; needed only for a file that lacks it)")
    _service_arguments(search)


def _index_arguments(index: argparse.ArgumentParser) -> None:
    index.add_argument("embeddings", help="a file written by `embedkit embed` (.parquet, or .npy)")
    index.add_argument("--rebuild", action="store_true", help="build it again even if it is up to date")
    index.add_argument("--connectivity", type=POSITIVE, default=16, help="HNSW links per row; default: %(default)s")
    index.add_argument("--expansion-add", type=POSITIVE, default=128,
                       help="HNSW candidates kept while building; default: %(default)s")  # fmt: skip


def _models_arguments(models: argparse.ArgumentParser) -> None:
    models.add_argument(
        "-l", "--long", action="store_true",
        help="with each model's price per 1M tokens (cortecs': its route's; Mistral's: the dated table) and providers",
    )  # fmt: skip
    _service_arguments(models)


EMBED_DESCRIPTION = """\
Embed every text of INPUT into OUTPUT (Parquet or .npy), in order, resumably: texts already in the job's cache
(OUTPUT.cache.sqlite) are not paid for again, so an interrupted job is resumed by running the same command again.
At the end it prints the rows written, the tokens billed and the cost."""
EMBED_EXAMPLES = """examples:
  embedkit embed corpus.txt vectors.parquet                  # one text per line, Mistral, key from MISTRAL_API_KEY
  embedkit embed docs.jsonl out.parquet --text-field body --id-field doc_id --with-text
  cat texts.txt | embedkit embed - out.npy --model codestral-embed --output-dimension 256
  embedkit embed docs.csv routed.parquet --service cortecs --preference speed --eu-native   # key from CORTECS_API_KEY
  embedkit embed corpus.txt vectors.parquet --max-cost 0.50    # refused if the estimate is over 0.50
"""
SEARCH_DESCRIPTION = """\
Embed QUERY the way EMBEDDINGS was made (the service, model, dimension and options recorded in the Parquet file's
metadata or beside the .npy matrix in OUTPUT.npy.json), and print the K rows nearest it by cosine similarity, best
first, one a line: rank, score, id, and the text when the file stores it (embedded
with text). Float vectors
only: a file of int8, uint8 or binary codes is refused."""
SEARCH_EXAMPLES = """examples:
  embedkit search out.parquet "how do I reset my password" -k 5
  embedkit search vectors.npy "a question" --model codestral-embed --output-dimension 256   # a .npy with no .json
"""
ESTIMATE_DESCRIPTION = """\
Count the tokens embedding INPUT would send (texts already in --cache excepted) and price them, without sending
any text: exact with the tokenizer extra for Mistral's models, an upper bound otherwise. Mistral's prices come
from a dated table, cortecs' from its models route (one request, so a key is needed)."""
MODELS_DESCRIPTION = """\
List the ids of the models the key may use, one a line; with --long, each model's price per 1M tokens and, for
cortecs, the providers that serve it."""
CACHE_DESCRIPTION = """\
Inspect or shrink a job's cache (OUTPUT.cache.sqlite, or the file --cache named). `stats` prints its size on disk,
its rows and vector bytes, and the rows of each service, model and output type it holds; `prune` deletes rows
(older than --older-than days, of --model, of --base-url; all of them with --all) and gives the space back to the
disk. Rows deleted are paid for again if embedded again; a resumable job's rows are its progress."""
CACHE_EXAMPLES = """examples:
  embedkit cache stats out.parquet.cache.sqlite
  embedkit cache prune out.parquet.cache.sqlite --older-than 30     # rows written more than 30 days ago
  embedkit cache prune out.parquet.cache.sqlite --model codestral-embed
"""
INDEX_DESCRIPTION = """\
Build the approximate index of EMBEDDINGS (an HNSW graph, faiss; needs the `ann` extra) into EMBEDDINGS.ann,
stamped with the file's size, time and a hash of its ends: `embedkit search --index` searches through it (and
plain `search` does too for files of 200,000 rows or more), and refuses it once the file changes. Worth it for
millions of rows; below that, exact search is fast and exact."""
INDEX_EXAMPLES = """examples:
  embedkit index out.npy                        # writes out.npy.ann (and out.npy.ann.json)
  embedkit search out.npy --id 42 --index       # the neighbours of row 42 through the index
"""
SERVE_DESCRIPTION = "run the local reference server (needs the `server` extra; see `embedkit serve --help`)"


class Command(NamedTuple):
    """A subcommand: its one-line summary, its --help text, the function adding its flags, the function running it."""

    summary: str
    description: str
    epilog: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedkit",
        description="Embed texts with Mistral AI or cortecs.ai into Parquet or .npy files, and search them.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"embedkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        subparser = commands.add_parser(
            name, help=command.summary, description=command.description, epilog=command.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        command.add_arguments(subparser)
    # `serve` is parsed by the server's own command (whose --help says `embedkit serve`); listed here for --help.
    commands.add_parser("serve", help=SERVE_DESCRIPTION, add_help=False)
    return parser


def _api_key(args: argparse.Namespace) -> str:
    """The key, from the variable the user named or the service's; the message speaks of flags, not arguments."""
    from ._security import wrap
    from ._services import SERVICES

    variable = args.api_key_env or SERVICES[args.service].key_variable
    key = os.environ.get(variable)
    if not key:
        hint = "" if args.api_key_env else " (or name another variable with --api-key-env)"
        raise AuthenticationError(f"no API key: set {variable}{hint}")
    wrap(key, f"${variable}")  # a malformed key is refused here, named by its variable, never printed
    return key


def _timeout(args: argparse.Namespace) -> httpx.Timeout:
    # --timeout bounds waiting for an answer; the connect phase keeps the library's shorter default, since a
    # service that does not accept a connection in seconds is down, and waiting a minute to learn it helps no one.
    import httpx

    answer: float = args.timeout if args.timeout is not None else DEFAULT_READ_TIMEOUT
    connect: float = args.connect_timeout or min(answer, DEFAULT_CONNECT_TIMEOUT)
    return httpx.Timeout(answer, connect=connect)


def _embedder(args: argparse.Namespace, *, cache: EmbeddingCache | None = None) -> Embedder:
    """The client for `args`; a flag the subcommand does not have takes the library's default."""
    from ._client import Embedder

    return Embedder(
        args.service,
        api_key=_api_key(args),
        base_url=args.base_url,
        allow_insecure_http=args.allow_insecure_http,
        max_concurrency=getattr(args, "max_concurrency", None),
        max_retries=args.max_retries,
        timeout=_timeout(args),
        batch_size=getattr(args, "batch_size", 512),
        max_batch_tokens=getattr(args, "max_batch_tokens", 16384),
        max_input_tokens=getattr(args, "max_input_tokens", 8192),
        cache=cache,
        progress=False,
        requests_per_second=getattr(args, "requests_per_second", None),
        tokens_per_minute=getattr(args, "tokens_per_minute", None),
        rate_budget=getattr(args, "rate_budget_file", None),
    )


REQUEST_FIELDS = ("model", "output_dimension", "output_dtype", "encoding_format", "preference", "allowed_providers",
                  "eu_native", "allow_quantization", "allow_zero_data_retention", "enable_model_fallback",
                  "fallbacks")  # fmt: skip
LIST_FIELDS = ("allowed_providers", "fallbacks")  # comma-separated on the command line


def _options(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> EmbedOptions:
    options: dict[str, Any] = {k: v for k, v in (stored or {}).items() if k in REQUEST_FIELDS and v is not None}
    given = {name: getattr(args, name, None) for name in REQUEST_FIELDS if name not in LIST_FIELDS}
    options.update({name: value for name, value in given.items() if value is not None})
    for name in LIST_FIELDS:
        if getattr(args, name, None):
            options[name] = [item.strip() for item in getattr(args, name).split(",") if item.strip()]
    return cast("EmbedOptions", options)


@contextlib.contextmanager
def _job_cache(path: str | None) -> Iterator[EmbeddingCache | None]:
    """The job's cache; removed again if this run created it and the run failed before committing a row.

    A cache with rows is the resume record of a failed job and stays; an empty one the run just made is litter.
    """
    if path is None:
        yield None
        return
    from ._cache import EmbeddingCache

    created = not Path(path).exists()
    cache = EmbeddingCache(path)
    try:
        yield cache
    except BaseException:
        try:
            empty = created and len(cache) == 0
        except EmbeddingError:  # a cache that cannot be read now: kept, and the run's own error is the one raised
            empty = False
        cache.close()
        if empty and not _batch_recorded(path):  # a batch job's record, with no row yet, is what resumes it
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
        raise
    cache.close()


def _batch_recorded(path: str) -> bool:
    from ._batch_job import batch_recorded

    return batch_recorded(path)


def _embed(args: argparse.Namespace) -> int:
    # The command owns its process, which is a bulk job: the allocator setting a library must not impose is
    # this process's to choose (see `tune_allocator`), made before the job allocates its first buffer.
    from ._bulk import long_input_check, run_job
    from ._chunking import Chunking, PooledOutput, chunk_records, job_counter
    from ._files import check_output, detect_format, open_output, read_records, scan_input
    from ._memory import tune_allocator

    tune_allocator()
    # Likewise Arrow's: the Parquet writer takes its page and compression buffers from Arrow's default pool, which
    # no argument reaches; the system allocator (held as above) gives them back, where mimalloc kept 14 MiB more.
    # Read when pyarrow loads (the output opens it, below); a value the user set stands.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    cache_path = None if args.no_cache else (args.cache or f"{args.output}.cache.sqlite")
    # Before anything is paid for: the output can be written, and is not the input.
    check_output(args.output, input_path=args.input, overwrite=True)
    if Path(args.output).exists() and not args.overwrite:
        reuse = " (texts in its cache are not paid for again)" if cache_path else ""
        raise InputError(f"{args.output} exists; pass --overwrite to replace it{reuse}")
    fmt = detect_format(args.input, args.format)
    options = _options(args)
    if args.max_cost is not None and args.batch_api:
        raise InputError("--max-cost applies to synchronous jobs; estimate a batch job with `embedkit estimate`")
    chunking = Chunking(args.chunk_tokens, args.overlap, pool=args.pool) if args.chunk_tokens else None
    if args.overlap and chunking is None:
        raise InputError("--overlap applies to chunks: pass --chunk-tokens too", argument="overlap")
    if args.pool and chunking is None:
        raise InputError("--pool averages a text's chunks: pass --chunk-tokens too", argument="pool")
    if args.pool and options.get("output_dtype", "float") != "float":
        raise InputError("--pool needs float vectors: quantised codes have no meaningful mean", argument="pool")
    if chunking is not None and args.batch_api:
        raise InputError("--chunk-tokens is not supported with --batch-api yet: embed the chunks synchronously")
    with _job_cache(cache_path) as cache, _embedder(args, cache=cache) as embedder:
        counter = job_counter(embedder, chunking, options.get("model")) if chunking is not None else None
        # The whole input is read once before anything is sent: a bad record, or one too long to send, is refused
        # before the texts ahead of it are paid for (standard input, read once, is checked as it goes).
        check = None if args.truncate or chunking else long_input_check(embedder, options.get("model"))
        scan = scan_input(args.input, fmt, text_field=args.text_field, id_field=args.id_field, glob=args.glob,
                          check=check)  # fmt: skip
        _load_prices(args, embedder)
        budget = _budget(args, embedder, fmt, options) if args.max_cost is not None else None
        # The file records every request field, so that `search` embeds its query exactly as the rows were.
        metadata = {"service": args.service, **options, "model": options.get("model", embedder.model)}
        if args.normalize:
            metadata["normalize"] = True
        if chunking is not None:
            metadata["chunking"] = {"max_tokens": chunking.max_tokens, "overlap": chunking.overlap, "pool": args.pool}
        records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field, glob=args.glob)
        if counter is not None and chunking is not None:
            records = chunk_records(records, counter, chunking)
        opened = open_output(args.output, with_text=args.with_text, metadata=metadata, columns=scan.columns,
                             chunked=chunking is not None and not args.pool)  # fmt: skip
        # Pooled: the job embeds chunks, and the file gets one row per text (the text's id, columns and text).
        output = PooledOutput(opened, normalize=args.normalize) if args.pool else opened
        show = sys.stderr.isatty() if args.progress is None else args.progress
        batch = _embed_in_batch(args, embedder, fmt, cache, options, show) if args.batch_api else None
        summary = run_job(
            embedder, records, output, window=args.window, total=scan.texts if show and not chunking else None,
            options=cast("EmbedOptions", {**options, "normalize": args.normalize, "truncate": args.truncate}),
            progress=show,
            # One round of batches a call: the pipe stays full, and an interrupted job stops within two rounds.
            step=(args.max_concurrency or MAX_CONCURRENCY) * args.batch_size, before_call=budget,
        )  # fmt: skip
    spent = f"; cost {summary.cost}" if summary.cost is not None else "; cost unknown (no price for the model)"
    billed = summary.usage.total_tokens
    if batch is not None:
        billed += batch.tokens
        spent = _batch_spent(summary, batch)
    damaged = cache.dropped if cache is not None else 0
    dropped = f", {damaged} damaged cache rows dropped and embedded again" if damaged else ""
    rows, pooled = (output.rows, f" pooled from {summary.rows} chunks") if args.pool else (summary.rows, "")
    print(
        f"wrote {rows} rows{pooled} to {args.output} ({summary.cached} from the cache, {billed} tokens billed"
        f"{dropped}){spent}",
        file=sys.stderr,
    )
    return 0


def _batch_spent(summary: JobSummary, batch: BatchCost) -> str:
    """The final line's cost of a --batch-api run: the batch job's, plus what lines it failed cost synchronously."""
    if batch.batch is None or summary.cost is None:
        return "; cost unknown (no price for the model: pass --price-per-million)"
    # Both in USD: the batch API is Mistral's, priced from its table (or --price-per-million).
    synchronous = f" + {summary.cost.amount:.6g} USD synchronously" if summary.cost.amount else ""
    return (
        f"; cost {batch.batch + summary.cost.amount:.6g} USD ({batch.batch:.6g} USD for {batch.tokens} tokens through "
        f"the batch API{synchronous})"
    )


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
    from dataclasses import replace

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
    from ._files import read_records

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
        records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field, glob=args.glob)
        whole = priced(_file_estimate(embedder, iter(records), options, truncate=args.truncate, batch=False,
                                      price=args.price_per_million))  # fmt: skip
        if whole.cost is not None and whole.cost.amount > limit:
            raise refuse(whole, "the job")
        print(f"estimate: {whole.describe()}", file=sys.stderr)
    spent: list[Cost] = []

    def before_call(chunk: list[Record]) -> None:
        call_options = cast("EmbedOptions", {**options, "truncate": args.truncate})
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
    from ._cache import EmbeddingCache
    from ._files import detect_format, read_records

    fmt = detect_format(args.input, args.format)
    options = _options(args)
    cache = EmbeddingCache(args.cache) if args.cache else None
    try:
        with _embedder(args, cache=cache) as embedder:
            records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field, glob=args.glob)
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
) -> BatchCost:
    """Fill the cache through Mistral's batch API (resuming an unfinished job); the bulk job then writes from it.

    Returns what the batch job cost: the bulk job that follows reads its rows from the cache and pays nothing for
    them, so the run's final line must add this, or it would report the batch job's work as free.
    """
    from ._batch_job import describe, raise_for, run_batch
    from ._files import read_records
    from ._pricing import cost

    if cache is None:
        raise ValueError("--batch-api needs the cache file, which records the job to resume it: drop --no-cache")
    store = embedder._settings.cache
    assert store is not None
    tokens, rounds = 0, 1 + (args.batch_retry == "batch")
    for round_number in range(1, rounds + 1):
        outcome = run_batch(
            embedder,
            lambda: read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field, glob=args.glob),
            store,
            overrides=dict(options),
            truncate=args.truncate,
            window=args.window,
            poll_interval=args.poll_interval,
            timeout_hours=args.batch_timeout_hours,
            progress=show,
        )
        tokens += outcome.tokens
        if not outcome.failures:
            if outcome.job_id is not None:
                print(describe(outcome), file=sys.stderr)
            break
        if args.batch_retry == "none" or (args.batch_retry == "batch" and round_number == rounds):
            raise_for(outcome, args.batch_retry)  # the job's failed and missing lines, named; nothing paid again
        then = "one more batch job for them" if args.batch_retry == "batch" else "embedding them synchronously"
        print(f"{describe(outcome)}: {then} (--batch-retry {args.batch_retry})", file=sys.stderr)
    spent = cost(tokens, options.get("model", embedder.model), price=args.price_per_million)
    print(f"batch cost: {spent.describe()}", file=sys.stderr)
    return spent


# pyarrow's remote filesystems, which `pyarrow.parquet` imports for paths like s3://, and embed never writes to.
REMOTE_FILESYSTEMS = ("pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs", "pyarrow._hdfs")


def _skip_remote_filesystems() -> None:
    """Keep `pyarrow.parquet` from loading the S3, GCS, Azure and HDFS libraries in an `embed` process.

    They are 6 of the 39 MiB that importing pyarrow adds to the Parquet job's peak RSS (measured: 39 MiB with
    them, 33 without), against a target of 1.2x the `.npy` job's. `pyarrow.fs` imports each inside a
    try/except ImportError and goes on without it; a module set to None in `sys.modules` is such an ImportError.
    Only in the command's own process, before pyarrow loads: a caller of `main(argv)` keeps its filesystems.
    """
    if "pyarrow" not in sys.modules:
        for module in REMOTE_FILESYSTEMS:
            sys.modules.setdefault(module, None)  # type: ignore[arg-type]


def _search(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from ._ann import index_for_search
    from ._files import load_embeddings, search_matrix, sidecar_path
    from ._similarity import nearest

    if (args.query is None) == (args.id is None):
        raise InputError("search takes a QUERY text or --id ID (the neighbours of a row): one of the two")
    stored = load_embeddings(args.embeddings, vectors=False)
    dtype = stored.metadata.get("output_dtype") or "float"
    matrix, unit = search_matrix(args.embeddings) if dtype == "float" else (stored.vectors, False)
    if dtype != "float" or matrix.dtype.kind != "f":
        kind = f"output_dtype={dtype!r}" if dtype != "float" else f"{matrix.dtype} values"
        measure = "Hamming distance" if dtype in ("binary", "ubinary") else "a quantization-aware measure"
        raise InputError(
            f"{args.embeddings} holds {kind} codes, which cosine search would score meaninglessly (it needs "
            f"{measure}, not supported yet); embed with --output-dtype float to search"
        )
    rows = _where(stored, args.where) if args.where else None
    # Before the query is embedded: a missing extra or a stale index is reported before anything is paid for.
    index = index_for_search(
        args.embeddings, args.method, len(matrix), say=lambda note: print(f"embedkit: {note}", file=sys.stderr)
    )
    exclude = None
    if args.id is not None:
        exclude = next((i for i, identifier in enumerate(stored.ids) if identifier == args.id), None)
        if exclude is None:
            raise InputError(f"{args.embeddings} has no row with id {args.id!r}", argument="id")
        query = np.asarray(matrix[exclude], dtype=np.float32)
        if not np.isfinite(query).all() or not query.any():
            raise InputError(f"row {args.id!r} of {args.embeddings} is zero or not finite: it has no neighbours")
    else:
        if not stored.metadata and args.model is None:
            raise InputError(
                f"{args.embeddings} does not say how it was made (no {sidecar_path(args.embeddings).name}); pass "
                "the --model (and --output-dimension, --service) it was embedded with"
            )
        # The query must be embedded by the service (and, below, the model and options) the file was made with.
        args.service = stored.metadata.get("service", args.service)
        with _embedder(args) as embedder:
            query = embedder.embed(args.query, **_options(args, stored.metadata)).vectors[0]
        if query.shape[0] != matrix.shape[1]:
            raise InputError(
                f"the query has {query.shape[0]} dimensions but {args.embeddings} has {matrix.shape[1]}: "
                "search with the model and --output-dimension the file was made with"
            )
    search = nearest if index is None else index.nearest
    indices, scores = search(query, matrix, k=args.k, unit=unit, rows=rows, exclude=exclude)
    if args.json:
        hits = [_hit(stored, int(index), rank, float(score))
                for rank, (index, score) in enumerate(zip(indices, scores, strict=True), 1)]  # fmt: skip
        print(json.dumps(hits, ensure_ascii=False, default=str))
        return 0
    for rank, (index, score) in enumerate(zip(indices, scores, strict=True), 1):
        text = f"  {stored.texts[index]}" if stored.texts else ""
        print(f"{rank}. {score:.4f}  {stored.ids[index]}{text}")
    return 0


def _index(args: argparse.Namespace) -> int:
    from ._ann import build_index, index_path, index_state

    if not args.rebuild and index_state(args.embeddings) == "fresh":
        print(f"{index_path(args.embeddings)} is up to date (--rebuild to build it again)")
        return 0
    report = build_index(args.embeddings, connectivity=args.connectivity, expansion_add=args.expansion_add)
    print(f"indexed {report.indexed} of {report.rows} rows into {report.path} in {report.seconds:.1f} s "
          f"({report.bytes / 1e6:.1f} MB)")  # fmt: skip
    return 0


def _cell(value: Any) -> str:
    """A stored value as `--where` compares it: its text, with JSON's spelling of booleans and null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _where(stored: Any, conditions: list[str]) -> Any:
    """The rows of `stored` meeting every COLUMN=VALUE condition, as row indices."""
    import numpy as np

    columns: dict[str, list[Any]] = {"id": stored.ids, **({"text": stored.texts} if stored.texts else {}),
                                     **stored.columns}  # fmt: skip
    keep = np.ones(len(stored.ids), dtype=bool)
    for condition in conditions:
        name, equals, wanted = condition.partition("=")
        if not equals or not name:
            raise InputError(f"--where needs COLUMN=VALUE, got {condition!r}", argument="where")
        if name not in columns:
            raise InputError(f"--where {condition}: no column {name!r} (columns: {', '.join(columns)})",
                             argument="where")  # fmt: skip
        keep &= np.fromiter((_cell(value) == wanted for value in columns[name]), dtype=bool, count=len(keep))
    return np.flatnonzero(keep)


def _hit(stored: Any, index: int, rank: int, score: float) -> dict[str, Any]:
    """One search hit for --json: rank, score, id, the text when stored, and every other column (bytes as hex)."""
    hit: dict[str, Any] = {"rank": rank, "score": round(score, 6), "id": stored.ids[index]}
    if stored.texts:
        hit["text"] = stored.texts[index]
    for name, values in stored.columns.items():
        if name != "text_sha256":
            value = values[index]
            hit[name] = value.hex() if isinstance(value, bytes) else value
    return hit


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


def _server_main() -> Callable[..., int]:
    # The reference server ships in the wheel, its dependencies (uvicorn, jsonschema-rs, PyYAML) in the `server` extra.
    from ._extras import raise_missing_extra

    try:
        from embedkit_server._cli import main
    except ModuleNotFoundError as error:
        raise_missing_extra(error, extra="server", feature="embedkit serve")
    return main


def _serve(argv: list[str]) -> int:
    from ._extras import MissingDependencyError

    try:
        serve = _server_main()
    except MissingDependencyError as error:
        print(f"embedkit: {error}", file=sys.stderr)
        return 1
    return int(serve(argv, prog="embedkit serve"))


def reference_server(argv: list[str] | None = None) -> int:
    """The `reference-server` command: the server's own CLI, or one line naming the extra when it is missing.

    Its entry point is here, not in `embedkit_server`, so that a plain install (no `server` extra) prints how to
    get the server instead of a traceback from importing it.
    """
    from ._extras import MissingDependencyError

    try:
        serve = _server_main()
    except MissingDependencyError as error:
        print(f"reference-server: {error}", file=sys.stderr)
        return 1
    return int(serve(sys.argv[1:] if argv is None else argv))


def _cache_arguments(cache: argparse.ArgumentParser) -> None:
    actions = cache.add_subparsers(dest="cache_action", required=True, metavar="ACTION")
    stats = actions.add_parser("stats", help="what the cache holds, and its size", description=CACHE_DESCRIPTION)
    stats.add_argument("cache", metavar="CACHE", help="the cache file")
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    prune = actions.add_parser("prune", help="delete rows and give the space back", description=CACHE_DESCRIPTION)
    prune.add_argument("cache", metavar="CACHE", help="the cache file")
    prune.add_argument("--older-than", type=float, metavar="DAYS", help="rows written more than DAYS days ago")
    prune.add_argument("--model", help="rows asked of this model or served by it")
    prune.add_argument("--base-url", help="rows of this service (however its address is spelled)")
    prune.add_argument("--all", action="store_true", help="every row (needed when no other filter is given)")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _cache(args: argparse.Namespace) -> int:
    """`embedkit cache stats|prune`: an existing cache only (a missing file is not created to be inspected)."""
    import dataclasses
    import json

    from ._cache import EmbeddingCache

    if not Path(args.cache).is_file():
        raise InputError(f"no cache at {args.cache}: name a job's cache file (OUTPUT.cache.sqlite or its --cache)")
    cache = EmbeddingCache(args.cache)
    try:
        if args.cache_action == "prune":
            if args.older_than is not None and (not math.isfinite(args.older_than) or args.older_than < 0):
                raise InputError(f"--older-than must be a number of days, at least 0, got {args.older_than}")
            if args.older_than is None and args.model is None and args.base_url is None and not args.all:
                raise InputError("prune needs a filter (--older-than, --model, --base-url), or --all for every row")
            before = cache.stats().file_bytes
            deleted = cache.prune(
                older_than=None if args.older_than is None else args.older_than * 86400,
                model=args.model, base_url=args.base_url,
            )  # fmt: skip
            after = cache.stats()
            print(
                f"deleted {deleted} rows from {args.cache}: {after.rows} left, "
                f"{_megabytes(before)} -> {_megabytes(after.file_bytes)} on disk"
            )
            return 0
        stats = cache.stats()
    finally:
        cache.close()
    if args.json:
        print(json.dumps({**dataclasses.asdict(stats), "path": str(stats.path)}))
        return 0
    print(
        f"{args.cache}: {_megabytes(stats.file_bytes)} on disk, {stats.rows} rows, "
        f"{_megabytes(stats.vector_bytes)} of vectors"
    )
    for space in stats.namespaces:
        fields = space.namespace
        what = " ".join(
            str(fields[name])
            for name in ("service", "base_url", "model", "output_dtype", "output_dimension")
            if fields.get(name) is not None
        ) or str(fields)
        served = ", ".join(f"{model}: {count}" for model, count in sorted(space.served_models.items()))
        print(f"  {what}: {space.rows} rows, {_megabytes(space.vector_bytes)} (served by {served})")
    return 0


COMMANDS: dict[str, Command] = {
    "embed": Command("embed a file of texts", EMBED_DESCRIPTION, f"{EMBED_EXAMPLES}\n{ENVIRONMENT}{RATE_ENVIRONMENT}",
                     _embed_arguments, _embed),
    "search": Command("find the rows nearest a query", SEARCH_DESCRIPTION, f"{SEARCH_EXAMPLES}\n{ENVIRONMENT}",
                      _search_arguments, _search),
    "index": Command("build the approximate index of an embeddings file", INDEX_DESCRIPTION, INDEX_EXAMPLES,
                     _index_arguments, _index),
    "estimate": Command("count the tokens of a file of texts and price them", ESTIMATE_DESCRIPTION, ENVIRONMENT,
                        _estimate_arguments, _estimate),
    "models": Command("list the models a key may use", MODELS_DESCRIPTION, ENVIRONMENT, _models_arguments, _models),
    "cache": Command("inspect or prune a job's cache", CACHE_DESCRIPTION, CACHE_EXAMPLES, _cache_arguments, _cache),
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors are reported in one line on stderr with exit status 1 (usage errors: 2)."""
    own_process = argv is None  # the `embedkit` command itself, not a caller of main(argv)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return _serve(argv[1:])
    args = _parser().parse_args(argv)
    resume = " (run the same command again to resume from its cache)" if args.command == "embed" else ""
    if own_process:
        _watch_interrupts(130, f"embedkit: interrupted{resume}")
        if args.command == "embed":
            _skip_remote_filesystems()
    try:
        return COMMANDS[args.command].run(args)
    except (EmbeddingError, TypeError, ValueError, OSError) as error:
        print(f"embedkit: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if not own_process:  # a caller of main(argv) (tests, scripts) keeps its own process and its own handlers
            print(f"embedkit: interrupted{resume}", file=sys.stderr)
            return 130
        return _leave_after_interrupt(130, f"embedkit: interrupted{resume}")


# How long an interrupted command waits for the requests already on the wire before it exits without them.
INTERRUPT_GRACE = 0.5
# The longest a Ctrl-C takes to end the command, whatever the main thread is waiting for.
INTERRUPT_LIMIT = 1.0
# Held while the command says it was interrupted, so that the line is written once, whole, by whichever thread
# comes first (the main thread's handler and the watcher's deadline can race: both once wrote it, interleaved).
_INTERRUPT_SAYING = threading.Lock()
_INTERRUPT_SAID = threading.Event()


def _say_interrupted(message: str) -> None:
    """Write `message` to stderr once per process, in one system call, whichever thread asks first."""
    with _INTERRUPT_SAYING:
        if _INTERRUPT_SAID.is_set():
            return
        _INTERRUPT_SAID.set()
        sys.stderr.flush()
        os.write(2, message.encode() + b"\n")


def _watch_interrupts(status: int, message: str) -> None:
    """End the process at once on a second Ctrl-C, and `INTERRUPT_LIMIT` after the first, whatever it is doing.

    Python runs a signal's handler in the main thread between two bytecodes only, so a main thread waiting in C
    (SQLite's busy wait on a locked cache, a blocking read) would hold both the first Ctrl-C and the second for
    as long as that wait lasts. The interpreter's wakeup file descriptor receives each signal's number the moment
    it arrives; a thread reading it counts them, and ends the process on the second SIGINT, or when the first
    has not ended it in time.
    """
    import select
    import signal
    import time

    try:
        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except (OSError, ValueError):  # not the main thread, or no pipe: Ctrl-C keeps Python's own handling
        return

    def watch() -> None:
        seen, first = 0, None
        while True:
            wait = None if first is None else max(0.0, first + INTERRUPT_LIMIT - time.monotonic())
            if select.select([read], [], [], wait)[0]:
                arrived = os.read(read, 64)
                if not arrived:
                    return
                seen += arrived.count(signal.SIGINT)
                if seen and first is None:
                    first = time.monotonic()
            if seen >= 2 or (first is not None and time.monotonic() >= first + INTERRUPT_LIMIT):
                _say_interrupted(message)
                os._exit(status)

    threading.Thread(target=watch, name="embedkit-interrupts", daemon=True).start()


def _leave_after_interrupt(status: int, message: str) -> int:
    """Exit within `INTERRUPT_GRACE` of a Ctrl-C, and at once on a second one; never returns in the main thread.

    The calls' threads still wait for the requests already on the wire (up to --timeout); the interpreter would
    join them on exit, and a second Ctrl-C would then raise inside that join, printing a traceback (or, once the
    interpreter has reset its handlers while finalizing, kill the process with no status of ours). Nothing is
    lost by not waiting: what they commit is committed row by row, and SQLite survives a process that ends
    mid-write, as it survives SIGKILL.
    """
    import signal
    import time

    if threading.current_thread() is not threading.main_thread():
        _say_interrupted(message)
        return status
    signal.signal(signal.SIGINT, lambda *_: os._exit(status))  # a second Ctrl-C: at once, without a traceback
    _say_interrupted(message)
    deadline = time.monotonic() + INTERRUPT_GRACE
    others = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
