"""Stateful fuzzing of the files and batch-job operations: schemathesis follows the contract's links.

upload → create job (the file's id in `input_files`) → get job → download its output, with cancel, retrieve,
delete and download of uploaded files on the way; every check of schemathesis.toml on every response.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from conftest import SPEC_PATH, auth_for
from embedkit_server import BackgroundServer, ServerConfig
from embedkit_server._batch import BatchSettings
from fuzz_hooks import filter_case, map_case
from hypothesis import HealthCheck, settings

schema = schemathesis.openapi.from_path(SPEC_PATH)
schema.hook(map_case)
schema.hook(filter_case)
Workflow = schema.as_state_machine()


@pytest.mark.slow
def test_the_links_between_upload_job_and_download_are_followed_with_every_check(auth: dict[str, str]) -> None:
    followed: list[bool] = []

    class Calls(Workflow):  # type: ignore[misc, valid-type]
        # A fresh server for every scenario: hypothesis replays and mutates choice sequences, which must lead to the
        # same responses each time (a server keeping earlier scenarios' files would not). Jobs run as fast as they
        # can, so a job is finished by the time a scenario asks for it, as often as timing allows.
        def setup(self) -> None:
            self.server = BackgroundServer(ServerConfig(batch=BatchSettings(requests_per_second=0)))
            self.server.__enter__()

        def teardown(self) -> None:
            uploaded = {stored.id for stored in self.server.app.files}
            jobs = self.server.app.batch.listing({"page_size": 10_000})["data"]
            followed.append(any(set(job["input_files"]) <= uploaded for job in jobs))
            self.server.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": self.server.url, "headers": auth_for(case, auth), "timeout": 30}

    Calls.run(
        settings=settings(
            max_examples=30, stateful_step_count=8, deadline=None, suppress_health_check=list(HealthCheck)
        )
    )
    # The stateful phase did follow the links: some scenario created a job from files it had uploaded.
    assert any(followed)
