"""Stateful fuzzing of the files and batch-job operations: schemathesis follows the contract's links.

upload → create job (the file's id in `input_files`) → get job → download its output, with cancel, retrieve,
delete and download of uploaded files on the way; every check of schemathesis.toml on every response.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from conftest import SPEC_PATH
from fuzz_hooks import map_case
from hypothesis import HealthCheck, settings
from reference_server import BackgroundServer

schema = schemathesis.openapi.from_path(SPEC_PATH)
schema.hook(map_case)
Workflow = schema.as_state_machine()


def test_the_links_between_upload_job_and_download_are_followed_with_every_check(auth: dict[str, str]) -> None:
    with BackgroundServer() as server:
        _run(server, auth)
        uploaded = {stored.id for stored in server.app.files}
        jobs = server.app.batch.listing({"page_size": 10_000})["data"]
    # The stateful phase did follow the links: jobs were created from files it had uploaded.
    assert any(set(job["input_files"]) <= uploaded for job in jobs)


def _run(server: Any, auth: dict[str, str]) -> None:
    class Calls(Workflow):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": server.url, "headers": auth, "timeout": 30}

    Calls.run(
        settings=settings(
            max_examples=60, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck)
        )
    )
