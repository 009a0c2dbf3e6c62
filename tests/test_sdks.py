"""The official SDKs, which nobody here wrote, as test clients of the reference server.

The `mistralai` and `openai` SDKs (pinned in the `bench` extra) must succeed or fail against the reference server
exactly as they are reported to against api.mistral.ai: floats even when base64 is asked, versioned model ids,
Mistral's error statuses. A server that only agreed with embedkit would not pass these.

Every method of `mistralai` for embeddings, models, files and batch jobs is called here, with the arguments
Mistral's document gives it, the limits included: what it returns is checked against what the server was given
(vectors recomputed, files compared byte for byte, filters against the jobs and files made for the test).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import openai
import orjson
import pytest
from embedkit_server import (
    DEV_TOKEN,
    FINE_TUNED_MODELS,
    BackgroundServer,
    BatchSettings,
    ServerConfig,
    compute_vector,
    truncate,
)
from embedkit_server._catalogue import CAPABILITIES, ORGANISATION

mistralai_client = pytest.importorskip("mistralai.client")
mistralai_errors = pytest.importorskip("mistralai.client.errors")

TEXTS = ["The cat sat on the mat.", "A dog slept in the sun."]
DTYPE_WIDTHS = {"float": 256, "int8": 256, "uint8": 256, "binary": 32, "ubinary": 32}
DTYPE_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "binary": (-128, 127), "ubinary": (0, 255)}
FINE_TUNED = next(iter(FINE_TUNED_MODELS))
EMBEDDINGS = "/v1/embeddings"


def mistral(server: Any, key: str = DEV_TOKEN) -> Any:
    return mistralai_client.Mistral(api_key=key, server_url=server.url)


def openai_client(server: Any, key: str = DEV_TOKEN) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)


def expected(texts: list[str], model: str = "mistral-embed", dimension: int = 1024) -> np.ndarray:
    return np.vstack([compute_vector(model, dimension, text) for text in texts])


def rows(data: Any) -> np.ndarray:
    return np.asarray([item.embedding for item in sorted(data, key=lambda item: item.index)], dtype=np.float32)


# --- mistralai -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding_format", [None, "float", "base64"])
def test_mistralai_gets_floats_whatever_encoding_it_asks_for(server: Any, encoding_format: str | None) -> None:
    options = {"encoding_format": encoding_format} if encoding_format else {}
    response = mistral(server).embeddings.create(model="mistral-embed", inputs=TEXTS, **options)
    assert all(isinstance(item.embedding, list) for item in response.data)
    assert np.array_equal(rows(response.data), expected(TEXTS))
    assert response.usage.prompt_tokens > 0


def test_mistralai_embeds_a_single_string(server: Any) -> None:
    response = mistral(server).embeddings.create(model="mistral-embed", inputs="Hello")
    assert np.array_equal(rows(response.data), expected(["Hello"]))


@pytest.mark.parametrize("dtype", list(DTYPE_WIDTHS))
def test_mistralai_gets_every_dtype_and_dimension_as_numbers(server: Any, dtype: str) -> None:
    response = mistral(server).embeddings.create(
        model="codestral-embed", inputs=TEXTS, output_dtype=dtype, output_dimension=256
    )
    values = rows(response.data)
    assert values.shape == (2, DTYPE_WIDTHS[dtype])
    if dtype == "float":
        floats = np.vstack([truncate(compute_vector("codestral-embed", 3072, text), 256) for text in TEXTS])
        assert np.array_equal(values, floats)
    else:
        low, high = DTYPE_RANGES[dtype]
        assert np.array_equal(values, np.round(values))
        assert low <= values.min() <= values.max() <= high


def test_mistralai_uses_versioned_ids_and_their_aliases_alike(server: Any) -> None:
    client = mistral(server)
    versioned = client.embeddings.create(model="mistral-embed-2312", inputs=TEXTS)
    alias = client.embeddings.create(model="mistral-embed", inputs=TEXTS)
    assert versioned.model == "mistral-embed-2312"
    assert np.array_equal(rows(versioned.data), rows(alias.data))
    code = client.embeddings.create(model="codestral-embed-2505", inputs=TEXTS, output_dimension=256)
    assert rows(code.data).shape == (2, 256)


def test_mistralai_lists_the_models_with_their_aliases(server: Any) -> None:
    cards = {card.id: card for card in mistral(server).models.list().data}
    assert set(cards) == {"mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed", FINE_TUNED}
    assert cards["mistral-embed"].aliases == ["mistral-embed-2312"]
    assert type(cards["mistral-embed"]).__name__ == "BaseModelCard"
    assert cards["mistral-embed"].type == "base"
    assert cards["mistral-embed"].capabilities.model_dump() == dict.fromkeys(CAPABILITIES, False), "none is embedding"
    tuned = cards[FINE_TUNED]
    assert type(tuned).__name__ == "FTModelCard"
    assert (tuned.type, tuned.root, tuned.archived) == ("fine-tuned", "open-mistral-7b", False)
    assert str(uuid.UUID(tuned.job)) == tuned.job
    assert tuned.capabilities.completion_chat is True


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({"model": "mistral-embed"}, ["mistral-embed-2312", "mistral-embed"]),
        ({"model": "codestral-embed-2505"}, ["codestral-embed-2505", "codestral-embed"]),
        ({"model": FINE_TUNED}, [FINE_TUNED]),
        ({"provider": "mistralai"}, ["mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed"]),
        ({"provider": ORGANISATION}, [FINE_TUNED]),
        ({"provider": "mistralai", "model": "codestral-embed"}, ["codestral-embed-2505", "codestral-embed"]),
        ({"provider": ORGANISATION, "model": "codestral-embed"}, []),
        ({"model": "no-such-model"}, []),
    ],
)
def test_mistralai_lists_the_models_by_provider_and_model(server: Any, filters: dict[str, str], ids: list[str]) -> None:
    """`model` keeps the cards of the model answering to that id (its versioned id and its alias alike), `provider`
    those it owns."""
    listed = [card.id for card in mistral(server).models.list(**filters).data]
    assert sorted(listed) == sorted(ids)


def test_mistralai_retrieves_a_base_model_by_id_or_alias_and_the_fine_tuned_one(server: Any) -> None:
    client = mistral(server)
    for model_id in ("mistral-embed", "mistral-embed-2312", "codestral-embed-2505"):
        card = client.models.retrieve(model_id=model_id)
        assert type(card).__name__ == "BaseModelCard"
        assert card.id == model_id
        assert card.max_context_length == 8192
    tuned = client.models.retrieve(model_id=FINE_TUNED)
    assert type(tuned).__name__ == "FTModelCard"
    assert (tuned.id, tuned.job, tuned.root) == (FINE_TUNED, FINE_TUNED_MODELS[FINE_TUNED].job, "open-mistral-7b")
    with pytest.raises(mistralai_errors.SDKError) as caught:
        client.models.retrieve(model_id="mistral-embed-9999")
    assert caught.value.status_code == 404


def test_mistralai_renames_archives_unarchives_and_deletes_the_fine_tuned_model() -> None:
    with BackgroundServer() as fresh:  # it changes the model: not the session's server
        client = mistral(fresh)
        updated = client.models.update(model_id=FINE_TUNED, name="renamed", description="described")
        assert type(updated).__name__ == "CompletionFineTunedModel"
        assert (updated.model_type, updated.name, updated.description) == ("completion", "renamed", "described")
        assert (updated.root, updated.archived) == ("open-mistral-7b", False)
        only_name = client.models.update(model_id=FINE_TUNED, name="again")
        assert (only_name.name, only_name.description) == ("again", "described"), "an absent field is left alone"
        assert client.models.retrieve(model_id=FINE_TUNED).name == "again"

        archived = client.models.archive(model_id=FINE_TUNED)
        assert (archived.id, archived.archived) == (FINE_TUNED, True)
        assert client.models.retrieve(model_id=FINE_TUNED).archived is True
        assert [c.archived for c in client.models.list(model=FINE_TUNED).data] == [True], "still listed"
        unarchived = client.models.unarchive(model_id=FINE_TUNED)
        assert (unarchived.id, unarchived.archived) == (FINE_TUNED, False)
        assert client.models.retrieve(model_id=FINE_TUNED).archived is False

        deleted = client.models.delete(model_id=FINE_TUNED)
        assert (deleted.id, deleted.deleted) == (FINE_TUNED, True)
        assert FINE_TUNED not in [card.id for card in client.models.list().data]
        for gone in (
            lambda: client.models.retrieve(model_id=FINE_TUNED),
            lambda: client.models.delete(model_id=FINE_TUNED),
            lambda: client.models.update(model_id=FINE_TUNED, name="x"),
            lambda: client.models.archive(model_id=FINE_TUNED),
            lambda: client.models.unarchive(model_id=FINE_TUNED),
        ):
            with pytest.raises(mistralai_errors.SDKError) as caught:
                gone()
            assert caught.value.status_code == 404


@pytest.mark.parametrize("operation", ["delete", "update", "archive", "unarchive"])
def test_mistralai_cannot_change_a_base_model(server: Any, operation: str) -> None:
    models = mistral(server).models
    arguments = {"name": "x"} if operation == "update" else {}
    with pytest.raises(mistralai_errors.SDKError) as caught:
        getattr(models, operation)(model_id="mistral-embed", **arguments)
    assert caught.value.status_code == 400
    assert "base model" in caught.value.body
    assert models.retrieve(model_id="mistral-embed").id == "mistral-embed", "still there"


def test_mistralai_is_refused_with_a_wrong_key(server: Any) -> None:
    with pytest.raises(mistralai_errors.SDKError) as caught:
        mistral(server, key="not-the-key").embeddings.create(model="mistral-embed", inputs=TEXTS)
    assert caught.value.status_code == 401
    assert "not-the-key" not in str(caught.value)


def test_mistralai_reads_an_invalid_body_as_a_validation_error_in_every_reported_shape() -> None:
    with BackgroundServer(ServerConfig(error_style="rotate")) as rotating:
        for _ in range(3):
            with pytest.raises(mistralai_errors.HTTPValidationError) as caught:
                mistral(rotating).embeddings.create(model="mistral-embed", inputs=TEXTS, output_dimension=-1)
            assert caught.value.status_code == 422


def test_mistralai_gets_a_400_for_an_unknown_model(server: Any) -> None:
    with pytest.raises(mistralai_errors.SDKError) as caught:
        mistral(server).embeddings.create(model="mistral-embed-9999", inputs=TEXTS)
    assert caught.value.status_code == 400
    assert "Invalid model: mistral-embed-9999" in caught.value.body


# --- mistralai: files ----------------------------------------------------------------------------------------------

FINAL = ("SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED")


def fast(**changes: Any) -> ServerConfig:
    """A server whose jobs run as fast as it can, so a test waits for a job a fraction of a second."""
    batch = changes.pop("batch", BatchSettings(requests_per_second=0))
    return ServerConfig(batch=batch, **changes)


@pytest.fixture(scope="module")
def batch_server() -> Iterator[Any]:
    with BackgroundServer(fast()) as running:
        yield running


def jsonl(*lines: Any) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def upload(
    client: Any, content: bytes, name: str = "in.jsonl", mimetype: str = "application/jsonl", **options: Any
) -> Any:
    document = {"file_name": name, "content": content, "content_type": mimetype}
    return client.files.upload(file=document, **options)


def finished(client: Any, job_id: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while (job := client.batch.jobs.get(job_id=job_id)).status not in FINAL:
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    return job


def embedding(line: dict[str, Any]) -> np.ndarray:
    """The vector of a one-input result line."""
    assert line["response"]["status_code"] == 200, line
    return np.asarray(line["response"]["body"]["data"][0]["embedding"], dtype=np.float32)


def test_mistralai_uploads_a_file_with_an_expiry_and_a_visibility(batch_server: Any) -> None:
    client = mistral(batch_server)
    content = jsonl({"custom_id": "0", "body": {"input": ["a"]}}, {"custom_id": "1", "body": {"input": ["b"]}})
    stored = upload(client, content, expiry=2, visibility="user", purpose="batch")
    assert type(stored).__name__ == "CreateFileResponse"
    assert (stored.filename, stored.purpose, stored.sample_type, stored.source) == (
        "in.jsonl", "batch", "batch_request", "upload",
    )  # fmt: skip
    assert (stored.size_bytes, stored.num_lines, stored.mimetype) == (len(content), 2, "application/jsonl")
    assert stored.visibility == "user"
    assert stored.expires_at == stored.created_at + 2 * 3600
    plain = upload(client, content, purpose="batch")
    assert (plain.visibility, plain.expires_at) == ("workspace", None), "the defaults: workspace, no expiry"
    tuning = upload(client, b'{"messages": []}\n', "tune.jsonl", purpose="fine-tune")
    assert (tuning.purpose, tuning.sample_type) == ("fine-tune", "instruct")


def test_mistralai_lists_files_by_every_filter() -> None:
    with BackgroundServer(fast()) as fresh:  # a server of its own: the listing is exactly what this test made
        client = mistral(fresh)
        lines = jsonl({"custom_id": "0", "body": {"input": ["a"]}})
        first = upload(client, lines, "first.jsonl", purpose="batch")
        notes = upload(client, b"plain text\n", "notes.txt", "text/plain", purpose="fine-tune")
        third = upload(client, lines, "third.jsonl", purpose="batch", visibility="user")
        job = finished(client, client.batch.jobs.create(endpoint=EMBEDDINGS, input_files=[first.id],
                                                        model="mistral-embed").id)  # fmt: skip
        output = job.output_file

        def ids(**filters: Any) -> list[str]:
            return [stored.id for stored in client.files.list(**filters).data]

        everything = client.files.list()
        assert [stored.id for stored in everything.data] == [output, third.id, notes.id, first.id], "newest first"
        assert everything.total == 4
        assert client.files.list(include_total=False).total is None
        assert client.files.list(include_total=True).total == 4
        assert ids(mimetypes=["text/plain"]) == [notes.id]
        assert ids(mimetypes=["text/plain", "application/jsonl"]) == [output, third.id, notes.id, first.id]
        assert ids(mimetypes=["image/png"]) == []
        assert ids(search="third") == [third.id]
        assert ids(search=".jsonl") == [output, third.id, first.id]
        assert ids(purpose="fine-tune") == [notes.id]
        assert ids(purpose="batch") == [output, third.id, first.id]
        assert ids(sample_type=["batch_result"]) == [output]
        assert ids(sample_type=["batch_request", "instruct"]) == [third.id, notes.id, first.id]
        assert ids(source=["mistral"]) == [output]
        assert ids(source=["upload"]) == [third.id, notes.id, first.id]
        assert ids(source=["upload"], purpose="batch", search="first") == [first.id]
        assert ids(page=1, page_size=2) == [notes.id, first.id]
        assert ids(page=2, page_size=2) == []
        # Upstream's pages have no bounds: out of range is an empty page, never an error.
        assert ids(page=-1) == []
        assert ids(page_size=0) == []
        assert client.files.list(page=-1).total == 4


def test_mistralai_retrieves_downloads_signs_and_deletes_a_file(batch_server: Any) -> None:
    client = mistral(batch_server)
    content = jsonl(*({"custom_id": str(i), "body": {"input": [f"text {i}"]}} for i in range(3)))
    stored = upload(client, content, purpose="batch")
    other = upload(client, b"another file\n", "other.txt", "text/plain", purpose="batch")

    retrieved = client.files.retrieve(file_id=stored.id)
    assert type(retrieved).__name__ == "GetFileResponse"
    assert retrieved.deleted is False
    assert (retrieved.id, retrieved.size_bytes, retrieved.num_lines, retrieved.filename) == (
        stored.id, len(content), 3, "in.jsonl",
    )  # fmt: skip
    downloaded = client.files.download(file_id=stored.id)
    assert downloaded.read() == content

    signed = client.files.get_signed_url(file_id=stored.id, expiry=1)
    fetched = httpx.get(signed.url, timeout=10)  # plain httpx: no key, no SDK
    assert "authorization" not in fetched.request.headers
    assert fetched.status_code == 200
    assert fetched.content == content
    expires = int(httpx.URL(signed.url).params["expires"])
    assert abs(expires / 1000 - (time.time() + 3600)) < 60, "valid for the hour asked"
    default = httpx.URL(client.files.get_signed_url(file_id=stored.id).url)
    assert abs(int(default.params["expires"]) / 1000 - (time.time() + 24 * 3600)) < 60, "24 hours by default"
    for hours in (1, 168):
        assert httpx.get(client.files.get_signed_url(file_id=stored.id, expiry=hours).url).content == content
    for hours in (0, 169, -1):
        with pytest.raises(mistralai_errors.SDKError) as refused:
            client.files.get_signed_url(file_id=stored.id, expiry=hours)
        assert refused.value.status_code == 422
        assert orjson.loads(refused.value.body)["detail"][0]["loc"] == ["query", "expiry"]

    # A signature opens one file until one time: not another file, not later, not when altered.
    url = httpx.URL(signed.url)
    forged = str(url.copy_set_param("signature", url.params["signature"][::-1]))
    stretched = str(url.copy_set_param("expires", str(int(url.params["expires"]) + 3_600_000)))
    elsewhere = signed.url.replace(stored.id, other.id)
    unsigned = str(url.copy_remove_param("signature"))
    for bad in (forged, stretched, elsewhere, unsigned):
        refused = httpx.get(bad, timeout=10)
        assert refused.status_code == 403, bad
        assert refused.json()["object"] == "error"
        assert content not in refused.content

    deleted = client.files.delete(file_id=stored.id)
    assert (deleted.id, deleted.deleted) == (stored.id, True)
    for gone in (
        lambda: client.files.retrieve(file_id=stored.id),
        lambda: client.files.download(file_id=stored.id),
        lambda: client.files.get_signed_url(file_id=stored.id),
        lambda: client.files.delete(file_id=stored.id),
    ):
        with pytest.raises(mistralai_errors.SDKError) as caught:
            gone()
        assert caught.value.status_code == 404
    assert httpx.get(signed.url, timeout=10).status_code == 404, "a genuine URL of a deleted file"
    assert stored.id not in [f.id for f in client.files.list(page_size=1000).data]


def test_mistralai_finds_an_expired_file_and_an_expired_url_gone() -> None:
    hour = 0.5
    with BackgroundServer(fast(batch=BatchSettings(requests_per_second=0, hour_seconds=hour))) as quick:
        client = mistral(quick)
        expiring = upload(client, b"short-lived\n", "expiring.txt", "text/plain", purpose="batch", expiry=1)
        lasting = upload(client, b"long-lived\n", "lasting.txt", "text/plain", purpose="batch")
        url = client.files.get_signed_url(file_id=lasting.id, expiry=1).url
        assert client.files.retrieve(file_id=expiring.id).expires_at == expiring.expires_at
        assert httpx.get(url, timeout=10).content == b"long-lived\n"
        time.sleep(hour * 1.5)
        with pytest.raises(mistralai_errors.SDKError) as caught:
            client.files.retrieve(file_id=expiring.id)
        assert caught.value.status_code == 404
        assert [f.id for f in client.files.list().data] == [lasting.id]
        assert httpx.get(url, timeout=10).status_code == 403, "the URL has expired"
        assert client.files.download(file_id=lasting.id).read() == b"long-lived\n", "the file has not"


# --- mistralai: batch jobs -----------------------------------------------------------------------------------------


def test_mistralai_runs_a_job_over_an_uploaded_file_and_reads_its_results_inline_and_from_the_file(
    batch_server: Any,
) -> None:
    client = mistral(batch_server)
    tag = uuid.uuid4().hex
    content = jsonl(
        {"custom_id": "cat", "body": {"input": [TEXTS[0]]}},
        {"custom_id": "dog", "body": {"input": [TEXTS[1]]}},
        {"body": {"input": ["no custom_id"]}},
        {"custom_id": "refused", "body": {"input": ["x"], "output_dtype": "float64"}},
    )
    stored = upload(client, content, purpose="batch")
    job = client.batch.jobs.create(
        endpoint=EMBEDDINGS, input_files=[stored.id], model="mistral-embed", metadata={"run": tag}, timeout_hours=1
    )
    assert type(job).__name__ == "BatchJob"
    assert (job.input_files, job.model, job.endpoint, job.metadata) == ([stored.id], "mistral-embed", EMBEDDINGS,
                                                                        {"run": tag})  # fmt: skip
    assert job.status in ("QUEUED", "RUNNING", "SUCCESS")
    done = finished(client, job.id)
    assert done.status == "SUCCESS"
    assert (done.total_requests, done.succeeded_requests, done.failed_requests) == (4, 3, 1)
    assert not done.outputs, "results come inline only when asked"
    assert not client.batch.jobs.get(job_id=job.id, inline=False).outputs

    outputs = client.batch.jobs.get(job_id=job.id, inline=True).outputs
    assert [line["custom_id"] for line in outputs] == ["cat", "dog", None, "refused"], "in request order"
    assert np.array_equal(np.vstack([embedding(line) for line in outputs[:3]]),
                          expected([*TEXTS, "no custom_id"]))  # fmt: skip
    assert outputs[3]["response"]["status_code"] == 422
    assert outputs[0]["response"]["body"]["usage"]["completion_tokens"] == 0

    from_file = [orjson.loads(line) for line in client.files.download(file_id=done.output_file).read().splitlines()]
    errors = [orjson.loads(line) for line in client.files.download(file_id=done.error_file).read().splitlines()]
    assert sorted(map(str, (line["custom_id"] for line in from_file))) == ["None", "cat", "dog"]
    assert [line["custom_id"] for line in errors] == ["refused"]
    by_id = {line["id"]: line for line in from_file + errors}
    assert [by_id[line["id"]] for line in outputs] == outputs, "the same lines as the files"


def test_mistralai_runs_an_inline_job_whose_lines_need_no_custom_id(batch_server: Any) -> None:
    client = mistral(batch_server)
    job = client.batch.jobs.create(
        endpoint=EMBEDDINGS,
        model="codestral-embed",
        requests=[
            {"custom_id": "first", "body": {"input": [TEXTS[0]], "output_dimension": 256}},
            {"body": {"input": [TEXTS[1]], "output_dimension": 256}},
        ],
    )
    assert job.input_files == []
    assert finished(client, job.id).status == "SUCCESS"
    outputs = client.batch.jobs.get(job_id=job.id, inline=True).outputs
    assert [line["custom_id"] for line in outputs] == ["first", None]
    assert outputs[0]["id"] != outputs[1]["id"]
    truncated = np.vstack([truncate(compute_vector("codestral-embed", 3072, text), 256) for text in TEXTS])
    assert np.array_equal(np.vstack([embedding(line) for line in outputs]), truncated)


def test_mistralai_runs_a_job_without_a_model_only_when_every_line_names_one(batch_server: Any) -> None:
    client = mistral(batch_server)
    job = client.batch.jobs.create(
        endpoint=EMBEDDINGS,
        requests=[
            {"custom_id": "code", "body": {"model": "codestral-embed-2505", "input": ["def f(): pass"]}},
            {"custom_id": "prose", "body": {"model": "mistral-embed", "input": [TEXTS[0]]}},
        ],
    )
    assert job.model is None
    assert finished(client, job.id).status == "SUCCESS"
    outputs = {line["custom_id"]: line for line in client.batch.jobs.get(job_id=job.id, inline=True).outputs}
    assert outputs["code"]["response"]["body"]["model"] == "codestral-embed-2505"
    code = truncate(compute_vector("codestral-embed", 3072, "def f(): pass"), 1536)
    assert np.array_equal(embedding(outputs["code"]), code), "each line served by the model it names"
    assert np.array_equal(embedding(outputs["prose"]), expected([TEXTS[0]])[0])

    created = batch_server.app.batch.created
    with pytest.raises(mistralai_errors.SDKError) as caught:
        client.batch.jobs.create(
            endpoint=EMBEDDINGS,
            requests=[
                {"custom_id": "named", "body": {"model": "mistral-embed", "input": ["x"]}},
                {"custom_id": "unnamed", "body": {"input": ["y"]}},
            ],
        )
    assert caught.value.status_code == 400
    assert "requests[1]" in caught.value.body
    assert "'unnamed'" in caught.value.body
    stored = upload(client, jsonl({"body": {"input": ["x"]}}), purpose="batch")
    with pytest.raises(mistralai_errors.SDKError) as from_file:
        client.batch.jobs.create(endpoint=EMBEDDINGS, input_files=[stored.id])
    assert from_file.value.status_code == 400
    assert f"line 1 of file {stored.id}" in from_file.value.body
    assert batch_server.app.batch.created == created, "no job was created"


@pytest.mark.parametrize(
    ("fields", "accepted"),
    [
        ({"timeout_hours": 0}, False),
        ({"timeout_hours": 169}, False),
        ({"timeout_hours": 1}, True),
        ({"timeout_hours": 168}, True),
        ({"metadata": {"": "empty key"}}, False),
        ({"metadata": {"k" * 33: "v"}}, False),
        ({"metadata": {"k": ""}}, False),
        ({"metadata": {"k": "v" * 513}}, False),
        ({"metadata": {"k" * 32: "v" * 512, "x": "y"}}, True),
    ],
    ids=lambda value: str(value)[:40],
)
def test_mistralai_job_fields_are_held_to_the_contracts_limits(
    batch_server: Any, fields: dict[str, Any], accepted: bool
) -> None:
    client = mistral(batch_server)
    created = batch_server.app.batch.created
    requests = [{"custom_id": "0", "body": {"input": ["x"]}}]
    if accepted:
        job = client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=requests, **fields)
        assert job.metadata == fields.get("metadata")
        assert batch_server.app.batch.get(job.id)["id"] == job.id
        return
    # The SDK has no model for this operation's 422 (upstream's document lists none): a plain `SDKError`.
    with pytest.raises(mistralai_errors.SDKError) as caught:
        client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=requests, **fields)
    assert caught.value.status_code == 422
    assert [item["loc"][:2] for item in orjson.loads(caught.value.body)["detail"]] == [["body", next(iter(fields))]]
    assert batch_server.app.batch.created == created


def test_mistralai_job_takes_at_most_10000_inline_requests_and_exactly_one_source(batch_server: Any) -> None:
    client = mistral(batch_server)
    created = batch_server.app.batch.created
    line = {"body": {"input": ["x"]}}
    with pytest.raises(mistralai_errors.SDKError) as too_many:
        client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=[line] * 10_001)
    assert too_many.value.status_code == 422
    assert len(too_many.value.body) < 4096, "the 10,001 requests are summarised, not echoed"
    assert "more than 10000 items" in too_many.value.body
    stored = upload(client, jsonl(line), purpose="batch")
    for sources in ({"input_files": [stored.id], "requests": [line]}, {}):
        with pytest.raises(mistralai_errors.SDKError) as caught:
            client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", **sources)
        assert caught.value.status_code == 400
        assert "exactly one of input_files" in caught.value.body
    assert batch_server.app.batch.created == created
    most = client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=[line] * 10_000)
    assert most.total_requests == 10_000
    client.batch.jobs.delete(job_id=most.id)  # no need to answer them all


def test_mistralai_lists_jobs_by_every_filter() -> None:
    # Two keys of one organisation: they share its jobs, and `created_by_me` tells them apart.
    organisation = (DEV_TOKEN, "second-key")
    with BackgroundServer(fast(tokens=organisation, organisations=(organisation,))) as fresh:
        first, second = mistral(fresh), mistral(fresh, key="second-key")
        line = [{"body": {"input": ["x"]}}]
        a = first.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=line,
                                    metadata={"run": "a", "team": "x"}, agent_id="agent-1")  # fmt: skip
        b = first.batch.jobs.create(endpoint=EMBEDDINGS, model="codestral-embed", requests=line,
                                    metadata={"run": "b", "team": "x"}, agent_id="agent-2")  # fmt: skip
        c = second.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=line, metadata={"run": "c"})
        d = first.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=[])  # no line: FAILED
        assert (a.agent_id, b.agent_id, c.agent_id) == ("agent-1", "agent-2", None)
        for job in (a, b, c, d):
            finished(first, job.id)

        def ids(client: Any = first, **filters: Any) -> list[str]:
            return [job.id for job in client.batch.jobs.list(**filters).data]

        assert ids() == [d.id, c.id, b.id, a.id], "newest first"
        assert ids(order_by="-created") == [d.id, c.id, b.id, a.id]
        assert ids(order_by="created") == [a.id, b.id, c.id, d.id]
        assert ids(metadata={"team": "x"}) == [b.id, a.id]
        assert ids(metadata={"team": "x", "run": "a"}) == [a.id]
        assert ids(metadata={"run": "nothing"}) == []
        assert ids(agent_id="agent-2") == [b.id]
        assert ids(model="mistral-embed") == [d.id, c.id, a.id]
        assert ids(status=["FAILED"]) == [d.id]
        assert ids(status=["SUCCESS"], order_by="created") == [a.id, b.id, c.id]
        assert ids(status=["SUCCESS", "FAILED"]) == [d.id, c.id, b.id, a.id]
        assert ids(created_by_me=True) == [d.id, b.id, a.id]
        assert ids(second, created_by_me=True) == [c.id]
        assert ids(second, created_by_me=False) == [d.id, c.id, b.id, a.id], "every key sees the organisation's jobs"
        assert ids(created_after=datetime.now(UTC) + timedelta(hours=1)) == []
        assert ids(created_after=datetime(2020, 1, 1, tzinfo=UTC)) == [d.id, c.id, b.id, a.id]
        assert ids(model="mistral-embed", metadata={"team": "x"}, agent_id="agent-1", created_by_me=True,
                   status=["SUCCESS"], order_by="created") == [a.id]  # fmt: skip
        page = first.batch.jobs.list(page=1, page_size=3)
        assert ([job.id for job in page.data], page.total) == ([a.id], 4)
        assert first.batch.jobs.list(page=-1).data == []
        assert first.batch.jobs.list(page_size=0).total == 4


def test_mistralai_cancels_a_running_job_which_keeps_the_lines_answered_so_far() -> None:
    with BackgroundServer(fast(batch=BatchSettings(requests_per_second=40))) as slow:
        client = mistral(slow)
        requests = [{"custom_id": str(i), "body": {"input": [f"line {i}"]}} for i in range(400)]
        job = client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=requests)
        deadline = time.monotonic() + 30
        while (running := client.batch.jobs.get(job_id=job.id, inline=True)).completed_requests < 5:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert running.status == "RUNNING"
        assert running.outputs is None, "no results inline before the job has finished"
        asked = client.batch.jobs.cancel(job_id=job.id)
        assert asked.status in ("CANCELLATION_REQUESTED", "CANCELLED")
        done = finished(client, job.id)
        assert done.status == "CANCELLED"
        assert 5 <= done.completed_requests < 400
        outputs = client.batch.jobs.get(job_id=job.id, inline=True).outputs
        assert len(outputs) == done.completed_requests
        assert client.batch.jobs.cancel(job_id=job.id).status == "CANCELLED", "a finished job is left as it is"


def test_mistralai_deletes_jobs_running_or_finished_and_keeps_their_files() -> None:
    with BackgroundServer(fast(batch=BatchSettings(requests_per_second=20))) as slow:
        client = mistral(slow)
        requests = [{"custom_id": str(i), "body": {"input": [f"line {i}"]}} for i in range(200)]
        running = client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=requests)
        small = client.batch.jobs.create(endpoint=EMBEDDINGS, model="mistral-embed", requests=requests[:1])
        done = finished(client, small.id)
        for job in (running, done):
            deleted = client.batch.jobs.delete(job_id=job.id)
            assert type(deleted).__name__ == "DeleteBatchJobResponse"
            assert (deleted.id, deleted.object, deleted.deleted) == (job.id, "batch", True)
            jobs = client.batch.jobs
            for method, arguments in (
                (jobs.get, {}),
                (jobs.get, {"inline": True}),
                (jobs.cancel, {}),
                (jobs.delete, {}),
            ):
                with pytest.raises(mistralai_errors.SDKError) as caught:
                    method(job_id=job.id, **arguments)
                assert caught.value.status_code == 404
        assert client.batch.jobs.list().data == []
        assert client.files.retrieve(file_id=done.output_file).deleted is False, "a deleted job's files stay"


@pytest.fixture(scope="module")
def gateway_server() -> Iterator[Any]:
    with BackgroundServer(ServerConfig(honour_base64=True)) as running:
        yield running


def test_mistralai_fails_on_base64_from_a_gateway_that_honours_it(gateway_server: Any) -> None:
    """Why the default is floats: the SDK types `embedding` as a list and cannot read a base64 string."""
    with pytest.raises(mistralai_errors.ResponseValidationError):
        mistral(gateway_server).embeddings.create(model="mistral-embed", inputs=TEXTS, encoding_format="base64")


# --- openai --------------------------------------------------------------------------------------------------------


def test_openai_defaults_ask_for_base64_and_read_the_floats_mistral_sends(server: Any) -> None:
    response = openai_client(server).embeddings.create(model="mistral-embed", input=TEXTS)
    assert np.array_equal(rows(response.data), expected(TEXTS))


def test_openai_decodes_base64_from_a_gateway_to_the_same_vectors(gateway_server: Any) -> None:
    response = openai_client(gateway_server).embeddings.create(model="mistral-embed", input=TEXTS)
    assert np.array_equal(rows(response.data), expected(TEXTS))


@pytest.mark.parametrize("encoding_format", ["float", "base64"])
def test_openai_with_an_explicit_encoding_gets_floats(server: Any, encoding_format: str) -> None:
    response = openai_client(server).embeddings.create(
        model="mistral-embed", input="Hello", encoding_format=encoding_format
    )
    assert isinstance(response.data[0].embedding, list)
    assert np.array_equal(rows(response.data), expected(["Hello"]))


@pytest.mark.parametrize("dtype", list(DTYPE_WIDTHS))
def test_openai_passes_mistrals_own_fields_through_extra_body(server: Any, dtype: str) -> None:
    response = openai_client(server).embeddings.create(
        model="codestral-embed", input=TEXTS, extra_body={"output_dtype": dtype, "output_dimension": 256}
    )
    assert rows(response.data).shape == (2, DTYPE_WIDTHS[dtype])


def test_openai_dimensions_is_not_a_mistral_field_and_is_refused(server: Any) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        openai_client(server).embeddings.create(model="codestral-embed", input=TEXTS, dimensions=256)
    assert caught.value.body is not None


def test_openai_lists_the_models(server: Any) -> None:
    ids = [model.id for model in openai_client(server).models.list()]
    assert ids == ["mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed", FINE_TUNED]


def test_openai_typed_errors_for_a_wrong_key_an_invalid_body_and_an_unknown_model(server: Any) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai_client(server, key="not-the-key").embeddings.create(model="mistral-embed", input=TEXTS)
    with pytest.raises(openai.UnprocessableEntityError):
        openai_client(server).embeddings.create(model="mistral-embed", input=TEXTS, extra_body={"output_dimension": 0})
    with pytest.raises(openai.BadRequestError, match="Invalid model"):
        openai_client(server).embeddings.create(model="text-embedding-3-small", input=TEXTS)
