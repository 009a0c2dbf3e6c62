"""The `reference-server` command: flags, with environment variables as defaults, for every server setting."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._app import DEV_TOKEN, MAX_BODY_BYTES, ServerConfig
from ._batch import BatchSettings
from ._embeddings import FLOAT_FORMATS
from ._errors import ERROR_STYLES
from ._faults import FAULT_KINDS, FaultPlan
from ._files_store import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES
from ._ratelimit import RateLimits
from ._runner import listen, serve


def _parser(prog: str = "reference-server") -> argparse.ArgumentParser:
    """The flags; `prog` is the command's name as typed (`embedkit serve` runs this same parser)."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve openapi.yaml locally: Mistral /v1/embeddings, /v1/models, files and batch jobs, "
        "cortecs serverless embeddings, with deterministic vectors, bearer auth, validation and optional fault "
        "injection.",
    )
    parser.add_argument("--host", default=env("REFERENCE_SERVER_HOST", "127.0.0.1"), help="default: %(default)s")
    parser.add_argument(
        "--port", type=int, default=int(env("REFERENCE_SERVER_PORT", "8000")), help="default: %(default)s"
    )
    parser.add_argument(
        "--token",
        action="append",
        help="an accepted bearer key (repeatable). Shown to every user of the machine by `ps`: prefer "
        "$REFERENCE_SERVER_TOKENS (comma-separated) or --token-file; default: those, else the development key "
        f"{DEV_TOKEN!r}",
    )
    parser.add_argument(
        "--token-file",
        default=env("REFERENCE_SERVER_TOKEN_FILE"),
        help="read the accepted bearer keys from this file, one a line (blank lines and # comments skipped), so no "
        "key is on the command line ($REFERENCE_SERVER_TOKEN_FILE)",
    )
    parser.add_argument(
        "--organisations-file",
        default=env("REFERENCE_SERVER_ORGANISATIONS_FILE"),
        help="group keys into organisations, which share files and batch jobs: one organisation a line, its keys "
        "separated by spaces (blank lines and # comments skipped); its keys are accepted keys too. A key in no "
        "line is an organisation of its own ($REFERENCE_SERVER_ORGANISATIONS_FILE)",
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=MAX_BODY_BYTES, help="413 above this; default: %(default)s"
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=int(env("REFERENCE_SERVER_LATENCY_MS", "0")),
        help="a fixed delay added to every request, like a real API across the internet",
    )
    parser.add_argument(
        "--commit-delay-ms",
        type=int,
        default=int(env("REFERENCE_SERVER_COMMIT_DELAY_MS", "0")),
        help="commit an upload or a batch job this long after its request, then answer (a client that gave up "
        "waiting must not create it again); default: %(default)s",
    )
    fidelity = parser.add_argument_group("fidelity (defaults: as the real services are reported to answer)")
    fidelity.add_argument(
        "--honour-base64",
        action=argparse.BooleanOptionalAction,
        default=env("REFERENCE_SERVER_HONOUR_BASE64", "").lower() in ("1", "true", "yes"),
        help="answer base64 when asked on every route, like an OpenAI-compatible gateway; by default the Mistral "
        "route answers floats whatever encoding_format says, as api.mistral.ai is reported to "
        "($REFERENCE_SERVER_HONOUR_BASE64)",
    )
    fidelity.add_argument(
        "--float-format",
        choices=FLOAT_FORMATS,
        default=env("REFERENCE_SERVER_FLOAT_FORMAT", "mistral"),
        help="how float arrays are printed: mistral (float16-precision values as exact decimals, ~19 bytes each, as "
        "api.mistral.ai prints them) or shortest (float32's shortest form, ~14 bytes); base64 is unchanged; "
        "default: %(default)s ($REFERENCE_SERVER_FLOAT_FORMAT)",
    )
    fidelity.add_argument(
        "--error-style",
        choices=ERROR_STYLES,
        default=env("REFERENCE_SERVER_ERROR_STYLE", "latest"),
        help="error bodies in the shape most recently reported from Mistral (latest), or every reported shape in "
        "turn (rotate); default: %(default)s ($REFERENCE_SERVER_ERROR_STYLE)",
    )
    limits = parser.add_argument_group("rate limits per key, like the real service's (off by default)")
    limits.add_argument(
        "--requests-per-second",
        type=float,
        default=float(env("REFERENCE_SERVER_REQUESTS_PER_SECOND", "0")) or None,
        help="429 with Retry-After past this many requests per second per key ($REFERENCE_SERVER_REQUESTS_PER_SECOND)",
    )
    limits.add_argument(
        "--tokens-per-minute",
        type=int,
        default=int(env("REFERENCE_SERVER_TOKENS_PER_MINUTE", "0")) or None,
        help="429 with Retry-After past this many tokens per minute per key ($REFERENCE_SERVER_TOKENS_PER_MINUTE)",
    )
    limits.add_argument(
        "--tokens-per-month",
        type=int,
        default=int(env("REFERENCE_SERVER_TOKENS_PER_MONTH", "0")) or None,
        help="a monthly token quota per key: once spent, 429 with x-ratelimit-remaining-tokens-month: 0 "
        "($REFERENCE_SERVER_TOKENS_PER_MONTH)",
    )
    limits.add_argument(
        "--no-request-headers",
        action="store_true",
        help="say the request limit only by 429s with a whole-second Retry-After: no x-ratelimit-*-req-* header "
        "and no retry-after-ms (the token headers stay)",
    )
    batch = parser.add_argument_group("files and batch jobs")
    batch.add_argument(
        "--files-dir",
        default=env("REFERENCE_SERVER_FILES_DIR"),
        help="where uploaded files and job outputs are kept; default: a temporary directory removed on exit "
        "($REFERENCE_SERVER_FILES_DIR)",
    )
    batch.add_argument("--max-file-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES, help="413 above; %(default)s")
    batch.add_argument(
        "--max-files-bytes", type=int, default=DEFAULT_MAX_TOTAL_BYTES, help="all files together; %(default)s"
    )
    timeouts = parser.add_argument_group("connection timeouts, in seconds (a slow or silent client is closed)")
    timeouts.add_argument("--header-timeout", type=float, default=10.0, help="request line and headers; %(default)s")
    timeouts.add_argument("--body-timeout", type=float, default=30.0, help="longest pause in a body; %(default)s")
    timeouts.add_argument(
        "--body-min-rate", type=float, default=1000.0, help="bytes/s a body keeps up after --body-timeout; %(default)s"
    )
    timeouts.add_argument("--idle-timeout", type=float, default=30.0, help="idle keep-alive connection; %(default)s")
    timeouts.add_argument(
        "--send-timeout", type=float, default=30.0, help="longest wait on a client reading an answer; %(default)s"
    )
    timeouts.add_argument(
        "--send-min-rate", type=float, default=1000.0, help="bytes/s a client reads after --send-timeout; %(default)s"
    )
    batch.add_argument(
        "--batch-requests-per-second",
        type=float,
        default=float(env("REFERENCE_SERVER_BATCH_RPS", "50")),
        help="request lines each batch job answers per second, 0 for no limit; default: %(default)s "
        "($REFERENCE_SERVER_BATCH_RPS)",
    )
    batch.add_argument(
        "--batch-hour-seconds",
        type=float,
        default=float(env("REFERENCE_SERVER_BATCH_HOUR_SECONDS", "3600")),
        help="seconds one hour lasts, for a job's timeout_hours and a file's or signed URL's expiry (shrink to reach "
        "TIMEOUT_EXCEEDED or an expiry); default: %(default)s",
    )
    faults = parser.add_argument_group("fault injection (off unless --fault-rate > 0)")
    faults.add_argument(
        "--fault-rate",
        type=float,
        default=float(env("REFERENCE_SERVER_FAULT_RATE", "0")),
        help="fraction of requests that fail, 0..1",
    )
    faults.add_argument(
        "--fault-seed",
        type=int,
        default=int(env("REFERENCE_SERVER_FAULT_SEED", "0")),
        help="same seed, same fault sequence",
    )
    faults.add_argument(
        "--faults",
        default=env("REFERENCE_SERVER_FAULTS", ",".join(FAULT_KINDS)),
        help="comma-separated kinds among %(default)s",
    )
    faults.add_argument("--slow-ms", type=int, default=1500, help="delay of a 'slow' fault")
    faults.add_argument("--retry-after-ms", type=int, default=50, help="what 429/503 faults ask clients to wait")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return parser  # fmt: skip


def _tokens(args: argparse.Namespace, prog: str) -> list[str]:
    """The accepted keys: --token (warned about), --token-file, else $REFERENCE_SERVER_TOKENS; [] for the dev key.

    A key on the command line is readable by every user of the machine (`ps`, /proc/PID/cmdline), so it still
    works (tests and quick runs use it) but says so; the file and the environment keep keys out of sight.
    """
    tokens: list[str] = []
    if args.token:
        print(
            f"{prog}: warning: --token puts the key on the command line, where `ps` shows it to every user of this "
            "machine; use $REFERENCE_SERVER_TOKENS or --token-file",
            file=sys.stderr,
        )
        tokens.extend(args.token)
    if args.token_file:
        try:
            lines = Path(args.token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read --token-file {args.token_file}: {error}") from None
        read = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if not read:
            raise ValueError(f"--token-file {args.token_file} holds no key (one a line)")
        tokens.extend(read)
    if not tokens:
        tokens = [t.strip() for t in os.environ.get("REFERENCE_SERVER_TOKENS", "").split(",") if t.strip()]
    return tokens


def _organisations(path: str | None) -> tuple[tuple[str, ...], ...]:
    """The groups of keys read from --organisations-file: one a line, keys separated by whitespace.

    A file, like --token-file, so that no key is on the command line; an error names the file and the line,
    never a key.
    """
    if not path:
        return ()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read --organisations-file {path}: {error}") from None
    groups: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        group = tuple(line.split())
        for key in group:
            if key in seen:
                raise ValueError(
                    f"--organisations-file {path}: line {number} names a key already in line {seen[key]}; "
                    "a key belongs to one organisation"
                )
            seen[key] = number
        groups.append(group)
    if not groups:
        raise ValueError(f"--organisations-file {path} holds no organisation (one a line)")
    return tuple(groups)


def main(argv: list[str] | None = None, *, prog: str = "reference-server") -> int:
    """Parse the flags, say how to reach the server, serve until interrupted."""
    args = _parser(prog).parse_args(argv)
    try:
        tokens = _tokens(args, prog)
        organisations = _organisations(args.organisations_file)
    except (OSError, ValueError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    # An organisation's keys are accepted keys too: one file may give both.
    tokens += [key for group in organisations for key in group if key not in tokens]
    uses_dev_token = not tokens
    try:
        plan = FaultPlan(
            rate=args.fault_rate,
            seed=args.fault_seed,
            kinds=tuple(kind.strip() for kind in args.faults.split(",") if kind.strip()),
            retry_after_ms=args.retry_after_ms,
            slow_ms=args.slow_ms,
        )
        config = ServerConfig(
            tokens=tuple(tokens) or (DEV_TOKEN,),
            organisations=organisations,
            max_body_bytes=args.max_body_bytes,
            faults=plan,
            latency_ms=args.latency_ms,
            commit_delay_ms=args.commit_delay_ms,
            honour_base64=args.honour_base64,
            float_format=args.float_format,
            error_style=args.error_style,
            rate_limits=RateLimits(
                args.requests_per_second, args.tokens_per_minute, args.tokens_per_month, not args.no_request_headers
            ),
            files_dir=Path(args.files_dir) if args.files_dir else None,
            max_file_bytes=args.max_file_bytes,
            max_files_bytes=args.max_files_bytes,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            body_min_rate=args.body_min_rate,
            idle_timeout=args.idle_timeout,
            send_timeout=args.send_timeout,
            send_min_rate=args.send_min_rate,
            batch=BatchSettings(
                requests_per_second=args.batch_requests_per_second,
                hour_seconds=args.batch_hour_seconds,
                seed=args.fault_seed,
            ),
            print_stats=True,
        )
    except ValueError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    # Made before the server says it serves: a --files-dir it cannot use (`/dev/null`, a file, a read-only place)
    # is one line, not a traceback after "reference server on ...".
    if config.files_dir is not None:
        try:
            config.files_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            why = "it is not a folder" if config.files_dir.exists() else error.strerror or str(error)
            print(f"{prog}: cannot keep files in --files-dir {args.files_dir}: {why}", file=sys.stderr)
            return 2
    # The port is taken before the server says it serves there: a busy port is one line, and nothing claimed.
    try:
        listener = listen(args.host, args.port)
    except OSError as error:
        print(f"{prog}: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    port = listener.getsockname()[1]  # --port 0: the free port the system chose
    # Only the published development key is ever printed; keys given by the user are not.
    key_note = f"development key: {DEV_TOKEN}" if uses_dev_token else f"{len(tokens)} key(s) given"
    print(f"reference server on http://{args.host}:{port} ({key_note})", flush=True)
    if plan.rate:
        print(f"fault injection: rate {plan.rate}, seed {plan.seed}, kinds {', '.join(plan.kinds)}", flush=True)
    serve(config, host=args.host, port=port, log_level=args.log_level, sock=listener)
    return 0
