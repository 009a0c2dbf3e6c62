"""`make fuzz`: schemathesis against any deployment of openapi.yaml, with every check, and a JUnit report.

With no URL it starts a local reference server and fuzzes that. With a URL (the real Mistral or cortecs API,
or another deployment) the key comes from the FUZZ_TOKEN environment variable, never from the command line,
and reports mask it (schemathesis.toml). The same settings and the same hooks (fuzz_hooks: `map_case`,
`filter_case`) as the test suite's fuzzing are used; the run is bounded by the example count and a per-request
timeout, and ends by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def _target(url: str | None) -> Iterator[tuple[str, str]]:
    if url:
        token = os.environ.get("FUZZ_TOKEN", "")
        if not token:
            raise SystemExit("fuzz: set TOKEN=... (make) or FUZZ_TOKEN (environment) to fuzz a deployment")
        yield url, token
        return
    from embedkit_server import DEV_TOKEN, BackgroundServer

    with BackgroundServer() as server:
        print(f"fuzzing a local reference server at {server.url}", flush=True)
        yield server.url, DEV_TOKEN


def _paths_served_at(url: str | None) -> list[str]:
    """The contract's paths whose own server is `url` (none when `url` is no documented server: fuzz them all).

    One base URL serves only its host's operations: `https://api.cortecs.ai/v1` has cortecs' current API at
    `/embeddings` and `/models`, `https://cortecs.ai` the older route, and Mistral's host the rest. The local
    reference server serves every path under one URL, so it gets them all.
    """
    if url is None:
        return []
    import yaml

    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    wanted = url.rstrip("/")
    return [
        path
        for path, item in spec["paths"].items()
        if any(server["url"].rstrip("/") == wanted for server in item.get("servers", spec.get("servers", [])))
    ]


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run schemathesis' CLI in this process (so the hooks apply), return its exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("FUZZ_URL") or None, help="default: a local reference server")
    parser.add_argument("--tag", choices=["mistral", "cortecs"], help="only that service's operations")
    parser.add_argument("--max-examples", type=int, default=300)
    parser.add_argument("--report", default=str(ROOT / "reports" / "fuzz-junit.xml"), help="JUnit XML path")
    args = parser.parse_args(argv)

    import schemathesis
    from fuzz_hooks import filter_case, map_case
    from schemathesis.cli import schemathesis as cli

    schemathesis.hook(map_case)
    schemathesis.hook(filter_case)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    with _target(args.url) as (url, token):
        command = [
            "run",
            str(ROOT / "openapi.yaml"),
            "--url", url,
            "--header", f"Authorization: Bearer {token}",
            "--checks", "all",
            "--mode", "all",
            "--max-examples", str(args.max_examples),
            "--phases", "examples,coverage,fuzzing",
            "--request-timeout", "30",
            "--report", "junit",
            "--report-junit-path", args.report,
        ]  # fmt: skip
        if args.tag:
            command += ["--include-tag", args.tag]
        for path in _paths_served_at(args.url):
            command += ["--include-path", path]
        try:
            cli.main(args=command, prog_name="schemathesis", standalone_mode=True)
        except SystemExit as finished:
            code = finished.code if isinstance(finished.code, int) else 1
        else:
            code = 0
    print(f"JUnit report: {args.report}")
    return code


if __name__ == "__main__":
    sys.exit(main())
