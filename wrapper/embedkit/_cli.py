"""The `embedkit` command: embed files, search the result, list models, run the local reference server.

Keys come from the environment only (MISTRAL_API_KEY, CORTECS_API_KEY, or the variable `--api-key-env`
names): a key on the command line would sit in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any, cast

from ._base import EmbedOptions
from ._bulk import run_job
from ._client import Embedder
from ._errors import EmbeddingError
from ._extras import MissingDependencyError, raise_missing_extra
from ._files import FORMATS, count_records, detect_format, load_embeddings, open_output, read_records
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


def _bool_flag(group: argparse._ArgumentGroup, name: str, help_text: str) -> None:
    group.add_argument(f"--{name}", dest=name.replace("-", "_"), action=argparse.BooleanOptionalAction, help=help_text)


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    service = parser.add_argument_group("service")
    service.add_argument("--service", choices=["mistral", "cortecs"], default="mistral", help="default: %(default)s")
    service.add_argument("--base-url", help="default: $MISTRAL_BASE_URL / $CORTECS_BASE_URL, else the service's")
    service.add_argument("--api-key-env", metavar="VARIABLE", help="read the key from this environment variable")
    service.add_argument("--allow-insecure-http", action="store_true", help="allow http:// to another machine")
    service.add_argument("--max-concurrency", type=int, default=8, help="requests in flight; default: %(default)s")
    service.add_argument("--max-retries", type=int, default=5, help="default: %(default)s")
    service.add_argument("--timeout", type=float, default=60.0, help="seconds per request; default: %(default)s")
    request = parser.add_argument_group("request options (each defaults to the service's)")
    request.add_argument("--model")
    request.add_argument("--output-dimension", type=int, help="Mistral: vector size (codestral-embed: up to 3072)")
    request.add_argument("--output-dtype", choices=["float", "int8", "uint8", "binary", "ubinary"], help="Mistral")
    request.add_argument("--encoding-format", choices=["float", "base64"], help="wire format; default: base64")
    request.add_argument("--preference", choices=["speed", "cost", "balanced"], help="cortecs")
    request.add_argument("--allowed-providers", help="cortecs: comma-separated provider names")
    _bool_flag(request, "eu-native", "cortecs: only providers based in the EU")
    _bool_flag(request, "allow-quantization", "cortecs: allow quantized endpoints")


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
    embed.add_argument("output", help="a .parquet file (id, text hash, vector) or a .npy matrix")
    reading = embed.add_argument_group("input")
    reading.add_argument("--format", choices=FORMATS, help="default: from the file name (lines for stdin)")
    reading.add_argument("--text-field", default="text", help="JSONL/CSV/Parquet text field; default: %(default)s")
    reading.add_argument("--id-field", help="JSONL/CSV/Parquet id field; default: the position in the file")
    job = embed.add_argument_group("job")
    job.add_argument("--with-text", action="store_true", help="store each text beside its vector (Parquet)")
    job.add_argument("--normalize", action="store_true", help="unit-length float vectors")
    job.add_argument("--truncate", action="store_true", help="cut over-long inputs instead of failing")
    job.add_argument("--cache", help="SQLite cache and resume record; default: OUTPUT.cache.sqlite")
    job.add_argument("--no-cache", action="store_true", help="neither read nor write a cache (no resume)")
    job.add_argument("--window", type=int, default=4096, help="texts held in memory at once; default: %(default)s")
    job.add_argument("--batch-size", type=int, default=512, help="inputs per request; default: %(default)s")
    job.add_argument(
        "--max-batch-tokens", type=int, default=16384, help="estimated tokens per request; default: %(default)s"
    )
    job.add_argument(
        "--max-input-tokens", type=int, default=8192, help="estimated tokens per input; default: %(default)s"
    )
    _bool_flag(job, "progress", "progress bar (default: when stderr is a terminal)")
    _client_arguments(embed)

    search = commands.add_parser("search", help="find the texts nearest a query", description="Top-k search.")
    search.add_argument("embeddings", help="a file written by `embedkit embed`")
    search.add_argument("query", help="the text to search for")
    search.add_argument("-k", type=int, default=5, help="how many results; default: %(default)s")
    _client_arguments(search)

    models = commands.add_parser("models", help="list the models a key may use", description="List models.")
    _client_arguments(models)

    commands.add_parser("serve", help="run the local reference server (see `embedkit serve --help`)", add_help=False)
    return parser


def _embedder(args: argparse.Namespace, *, cache: str | None = None) -> Embedder:
    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    if args.api_key_env and not key:
        raise SystemExit(f"embedkit: ${args.api_key_env} is not set")
    return Embedder(
        args.service,
        api_key=key,
        base_url=args.base_url,
        allow_insecure_http=args.allow_insecure_http,
        max_concurrency=args.max_concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout,
        batch_size=getattr(args, "batch_size", 512),
        max_batch_tokens=getattr(args, "max_batch_tokens", 16384),
        max_input_tokens=getattr(args, "max_input_tokens", 8192),
        cache=cache,
        progress=False,
    )


def _options(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> EmbedOptions:
    fields = ("model", "output_dimension", "output_dtype", "encoding_format", "preference", "eu_native",
              "allow_quantization")  # fmt: skip
    options: dict[str, Any] = {k: v for k, v in (stored or {}).items() if k in fields and v is not None}
    options.update({name: getattr(args, name) for name in fields if getattr(args, name) is not None})
    if args.allowed_providers:
        options["allowed_providers"] = [p.strip() for p in args.allowed_providers.split(",") if p.strip()]
    return cast(EmbedOptions, options)


def _embed(args: argparse.Namespace) -> int:
    fmt = detect_format(args.input, args.format)
    cache = None if args.no_cache else (args.cache or f"{args.output}.cache.sqlite")
    options = _options(args)
    with _embedder(args, cache=cache) as embedder:
        metadata = {"service": args.service, "model": options.get("model", embedder.model), **options}
        metadata.pop("allowed_providers", None)
        records = read_records(args.input, fmt, text_field=args.text_field, id_field=args.id_field)
        output = open_output(args.output, with_text=args.with_text, metadata=metadata)
        show = sys.stderr.isatty() if args.progress is None else args.progress
        summary = run_job(
            embedder, records, output, window=args.window, total=count_records(args.input, fmt) if show else None,
            options=EmbedOptions(**options, normalize=args.normalize, truncate=args.truncate), progress=show,
        )  # fmt: skip
    print(
        f"wrote {summary.rows} rows to {args.output} ({summary.cached} from the cache, "
        f"{summary.usage.total_tokens} tokens billed)",
        file=sys.stderr,
    )
    return 0


def _search(args: argparse.Namespace) -> int:
    stored = load_embeddings(args.embeddings)
    # The query must be embedded by the service (and, below, the model and options) the file was made with.
    args.service = stored.metadata.get("service", args.service)
    with _embedder(args) as embedder:
        query = embedder.embed(args.query, **_options(args, stored.metadata)).vectors
    indices, scores = top_k(query, stored.vectors, k=args.k)
    for rank, (index, score) in enumerate(zip(indices[0], scores[0], strict=True), 1):
        text = f"  {stored.texts[index]}" if stored.texts else ""
        print(f"{rank}. {score:.4f}  {stored.ids[index]}{text}")
    return 0


def _models(args: argparse.Namespace) -> int:
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
    """Run one command; errors are reported in one line on stderr with exit status 1."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return _serve(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return {"embed": _embed, "search": _search, "models": _models}[args.command](args)
    except (EmbeddingError, TypeError, ValueError, OSError) as error:
        print(f"embedkit: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
