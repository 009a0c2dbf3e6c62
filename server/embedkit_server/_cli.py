"""The `reference-server` command: flags, with environment variables as defaults, for every server setting."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._app import DEV_TOKEN, MAX_BODY_BYTES, ServerConfig
from ._batch import BatchSettings
from ._errors import ERROR_STYLES
from ._faults import FAULT_KINDS, FaultPlan
from ._files_store import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES
from ._ratelimit import RateLimits
from ._runner import serve


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="reference-server",
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
        help="an accepted bearer key (repeatable); default: $REFERENCE_SERVER_TOKENS (comma-separated), "
        f"else the development key {DEV_TOKEN!r}",
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


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, say how to reach the server, serve until interrupted."""
    args = _parser().parse_args(argv)
    tokens = args.token or [t for t in os.environ.get("REFERENCE_SERVER_TOKENS", "").split(",") if t]
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
            max_body_bytes=args.max_body_bytes,
            faults=plan,
            latency_ms=args.latency_ms,
            commit_delay_ms=args.commit_delay_ms,
            honour_base64=args.honour_base64,
            error_style=args.error_style,
            rate_limits=RateLimits(args.requests_per_second, args.tokens_per_minute),
            files_dir=Path(args.files_dir) if args.files_dir else None,
            max_file_bytes=args.max_file_bytes,
            max_files_bytes=args.max_files_bytes,
            batch=BatchSettings(
                requests_per_second=args.batch_requests_per_second,
                hour_seconds=args.batch_hour_seconds,
                seed=args.fault_seed,
            ),
            print_stats=True,
        )
    except ValueError as error:
        print(f"reference-server: {error}", file=sys.stderr)
        return 2
    # Only the published development key is ever printed; keys given by the user are not.
    key_note = f"development key: {DEV_TOKEN}" if uses_dev_token else f"{len(tokens)} key(s) from the command line/env"
    print(f"reference server on http://{args.host}:{args.port} ({key_note})", flush=True)
    if plan.rate:
        print(f"fault injection: rate {plan.rate}, seed {plan.seed}, kinds {', '.join(plan.kinds)}", flush=True)
    serve(config, host=args.host, port=args.port, log_level=args.log_level)
    return 0
