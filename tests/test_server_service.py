"""The reference server as a multi-user service (issue 23): tenants, streamed uploads and jobs, slowloris, file names.

Each scenario has a seed of its own where it draws anything. Everything talks to 127.0.0.1 only and is bounded in
time; memory is measured with tracemalloc (the server runs in this process), never judged by wall time.
"""

from __future__ import annotations

import contextlib
import random
import socket
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import assert_conforms
from embedkit_server import DEV_TOKEN, BackgroundServer, BatchSettings, ServerConfig
from embedkit_server import _batch as batch_module
from embedkit_server import _multipart as multipart
from embedkit_server._errors import APIError
from embedkit_server._files_store import LineCounter, safe_filename

OTHER = "other-organisation-key"


def fast(**changes: Any) -> ServerConfig:
    return ServerConfig(batch=changes.pop("batch", BatchSettings(requests_per_second=0)), **changes)


def client(server: Any, key: str = DEV_TOKEN) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def finished(http: httpx.Client, job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(f"/v1/batch/jobs/{job_id}").json()
        if job["status"] in ("SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"):
            return dict(job)
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


LINES = b"".join(orjson.dumps({"custom_id": str(i), "body": {"input": [f"text {i}"]}}) + b"\n" for i in range(5))


# --- tenants -------------------------------------------------------------------------------------------------------


def test_another_keys_files_and_jobs_are_404_everywhere_as_mistral_scopes_them_to_the_organisation() -> None:
    # Before: key B listed, read, downloaded, signed, deleted and cancelled key A's files and jobs, and made jobs
    # over A's files (8 breaches).
    config = fast(tokens=(DEV_TOKEN, OTHER), batch=BatchSettings(requests_per_second=5))
    with BackgroundServer(config) as server, client(server) as a, client(server, OTHER) as b:
        stored = assert_conforms(
            a.post("/v1/files", files={"file": ("a.jsonl", LINES)}, data={"purpose": "batch"}), "/v1/files", "POST"
        )
        file_id = stored["id"]
        job = a.post(
            "/v1/batch/jobs",
            json={"input_files": [file_id], "model": "mistral-embed", "endpoint": "/v1/embeddings"},
        ).json()
        assert job["status"] in ("QUEUED", "RUNNING")

        assert b.get("/v1/files").json()["data"] == [], "not listed"
        assert b.get("/v1/files").json()["total"] == 0
        assert b.get(f"/v1/files/{file_id}").status_code == 404
        assert b.get(f"/v1/files/{file_id}/content").status_code == 404
        assert b.get(f"/v1/files/{file_id}/url").status_code == 404
        assert b.delete(f"/v1/files/{file_id}").status_code == 404
        made = b.post(
            "/v1/batch/jobs",
            json={"input_files": [file_id], "model": "mistral-embed", "endpoint": "/v1/embeddings"},
        )
        assert made.status_code == 404, made.text
        assert server.app.batch.created == 1, "no job was made over another organisation's file"
        assert b.get("/v1/batch/jobs").json()["data"] == []
        assert b.get(f"/v1/batch/jobs/{job['id']}").status_code == 404
        assert b.post(f"/v1/batch/jobs/{job['id']}/cancel").status_code == 404
        assert b.delete(f"/v1/batch/jobs/{job['id']}").status_code == 404

        # The owner still has all of it, untouched.
        assert [f["id"] for f in a.get("/v1/files").json()["data"]] == [file_id]
        assert a.get(f"/v1/files/{file_id}/content").content == LINES
        signed = a.get(f"/v1/files/{file_id}/url").json()["url"]
        assert httpx.get(signed, timeout=10).content == LINES, "a signed URL is the permission: no key"
        assert a.post(f"/v1/batch/jobs/{job['id']}/cancel").json()["status"] in ("CANCELLATION_REQUESTED",
                                                                                "CANCELLED", "SUCCESS")  # fmt: skip
        done = finished(a, job["id"])
        assert [j["id"] for j in a.get("/v1/batch/jobs").json()["data"]] == [job["id"]]
        # The job's output is its organisation's too.
        for produced in (done["output_file"], done["error_file"]):
            if produced is not None:
                assert b.get(f"/v1/files/{produced}").status_code == 404
                assert a.get(f"/v1/files/{produced}").status_code == 200
        assert a.delete(f"/v1/files/{file_id}").status_code == 200


def test_keys_grouped_into_one_organisation_share_its_files_and_jobs() -> None:
    organisation = (DEV_TOKEN, OTHER)
    config = fast(tokens=(*organisation, "outsider"), organisations=(organisation,))
    with BackgroundServer(config) as server, client(server) as a, client(server, OTHER) as b:
        c = client(server, "outsider")
        file_id = a.post("/v1/files", files={"file": ("a.jsonl", LINES)}).json()["id"]
        job = b.post(
            "/v1/batch/jobs",
            json={"input_files": [file_id], "model": "mistral-embed", "endpoint": "/v1/embeddings"},
        ).json()
        assert b.get(f"/v1/files/{file_id}").status_code == 200
        assert finished(a, job["id"])["status"] == "SUCCESS"
        assert [j["id"] for j in a.get("/v1/batch/jobs", params={"created_by_me": "false"}).json()["data"]] == [
            job["id"]
        ]
        assert a.get("/v1/batch/jobs", params={"created_by_me": "true"}).json()["data"] == []
        assert c.get(f"/v1/files/{file_id}").status_code == 404
        assert c.get("/v1/batch/jobs").json()["total"] == 0
        c.close()


def test_an_organisation_must_group_accepted_keys_once_each() -> None:
    with pytest.raises(ValueError, match="organisations"):
        ServerConfig(tokens=(DEV_TOKEN,), organisations=((DEV_TOKEN, "unknown"),))
    with pytest.raises(ValueError, match="organisations"):
        ServerConfig(tokens=(DEV_TOKEN, OTHER), organisations=((DEV_TOKEN,), (DEV_TOKEN, OTHER)))


# --- file names ----------------------------------------------------------------------------------------------------

NAMES = [
    ("../../etc/passwd", "passwd"),
    ("/absolute/path/in.jsonl", "in.jsonl"),
    ("C:\\Users\\me\\in.jsonl", "in.jsonl"),
    ("in\r\nX-Injected: yes.jsonl", "inX-Injected: yes.jsonl"),
    ("nul\x00byte.jsonl", "nulbyte.jsonl"),
    ("..", "upload"),
    ("../", "upload"),
    ("", "upload"),
    ("  spaced.jsonl  ", "spaced.jsonl"),
    ("line\u2028sep.jsonl", "linesep.jsonl"),
    ("x" * 600, "x" * 255),
    ("données.jsonl", "données.jsonl"),
]


@pytest.mark.parametrize(("sent", "kept"), NAMES)
def test_a_file_name_is_kept_as_its_last_component_without_control_characters(sent: str, kept: str) -> None:
    assert safe_filename(sent) == kept


def _raw_upload(url: str, filename: bytes, content: bytes) -> httpx.Response:
    """An upload whose part header carries `filename` byte for byte (httpx would escape it)."""
    body = (
        b'--B\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/jsonl\r\n\r\n" + content + b"\r\n--B--\r\n"
    )
    headers = {"Authorization": f"Bearer {DEV_TOKEN}", "Content-Type": "multipart/form-data; boundary=B"}
    return httpx.post(url + "/v1/files", content=body, headers=headers, timeout=30)


def test_uploaded_file_names_are_sanitised_on_storage_and_in_every_echo() -> None:
    # Before: `../../x`, absolute paths, CR LF and NUL were stored and echoed as sent.
    with BackgroundServer(fast()) as server:
        sent = [b"../../etc/passwd", b"/tmp/abs.jsonl", b"a\x00b.jsonl", "é\u2028.jsonl".encode()]
        answers = [_raw_upload(server.url, name, LINES) for name in sent]
        assert [answer.status_code for answer in answers] == [200] * len(sent), [a.text for a in answers]
        names = [answer.json()["filename"] for answer in answers]
        assert names == ["passwd", "abs.jsonl", "ab.jsonl", "é.jsonl"]
        with client(server) as http:
            listed = {f["filename"] for f in http.get("/v1/files").json()["data"]}
            assert listed == set(names)
            for answer in answers:
                assert http.get(f"/v1/files/{answer.json()['id']}").json()["filename"] in names
        stored = list(server.app.files.directory.iterdir())
        assert all(path.parent == server.app.files.directory for path in stored), "nothing written outside"
        assert not (server.app.files.directory.parent / "etc").exists()


# --- streamed uploads ----------------------------------------------------------------------------------------------


def _form(content: Iterator[bytes], filename: str = "big.jsonl") -> Iterator[bytes]:
    yield b'--BOUNDARY\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
    yield f'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'.encode()
    yield from content
    yield b"\r\n--BOUNDARY--\r\n"


UPLOAD_HEADERS = {"Authorization": f"Bearer {DEV_TOKEN}", "Content-Type": "multipart/form-data; boundary=BOUNDARY"}


def test_an_upload_streams_to_disk_in_bounded_memory() -> None:
    # Before: the whole body was held, then split into parts, then written: 3 copies of the upload at once.
    piece = (b"x" * 1023 + b"\n") * 1024  # 1 MiB, 1,024 lines
    count = 48
    with BackgroundServer(fast(max_file_bytes=64 * 2**20)) as server:
        tracemalloc.start()
        try:
            answer = httpx.post(
                server.url + "/v1/files", content=_form(iter([piece] * count)), headers=UPLOAD_HEADERS, timeout=60
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert answer.status_code == 200, answer.text
        stored = answer.json()
        assert (stored["bytes"], stored["num_lines"]) == (count * len(piece), count * 1024)
        assert server.app.files.get(stored["id"]).path.stat().st_size == count * len(piece)
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {count} MiB upload"


def test_an_upload_over_the_file_bound_is_a_413_while_it_streams_and_leaves_nothing_on_disk() -> None:
    piece = b"y" * 2**20
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(64):  # bounded: the test ends even if the server read on
            sent += len(piece)
            yield piece

    with BackgroundServer(fast(max_file_bytes=4 * 2**20)) as server:
        # Chunked, with no Content-Length: only the bytes themselves can tell the bound was passed.
        try:
            answer = httpx.post(server.url + "/v1/files", content=_form(endless()), headers=UPLOAD_HEADERS, timeout=30)
            assert answer.status_code == 413, answer.text
            assert "larger than 4194304 bytes" in answer.json()["message"]
        except httpx.TransportError:
            pass  # the server answered and closed while the client was still sending: refused all the same
        assert sent < 64 * len(piece) or server.app.files.uploads == 0
        assert server.app.files.uploads == 0
        assert list(server.app.files.directory.iterdir()) == [], "the partial upload was removed"


def _split(body: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(0, 40))))
    return [body[i:j] for i, j in zip([0, *cuts], [*cuts, len(body)], strict=True)]


def _sample_form(rng: random.Random) -> bytes:
    content = bytes(rng.choice(b"ab \t\r\n-{}") for _ in range(rng.randint(0, 400)))
    # A part whose content holds the delimiter's first bytes, but not all of it.
    content += b"\r\n--BOUNDAR" + bytes(rng.choice(b"xy\r\n") for _ in range(rng.randint(0, 10)))
    return (
        b'preamble\r\n--BOUNDARY\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="f.jsonl"\r\n'
        b"Content-Type: application/jsonl\r\n\r\n" + content + b"\r\n--BOUNDARY--\r\nepilogue"
    )


@pytest.mark.parametrize("seed", range(2301, 2311))
def test_a_form_read_in_any_pieces_is_the_form_read_whole(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    body = _sample_form(rng)
    whole = multipart.parse(body, b"BOUNDARY")
    made: list[Path] = []

    def new_path() -> Path:
        made.append(tmp_path / f"part-{len(made)}")
        return made[-1]

    reader = multipart.FormReader(b"BOUNDARY", to_disk=frozenset({"file"}), new_path=new_path)
    for piece in _split(body, rng):
        reader.feed(piece)
    parts = reader.finish()
    assert parts["purpose"].data == whole["purpose"].data == b"batch"
    file = parts["file"]
    assert file.path is not None
    assert file.path.read_bytes() == whole["file"].data
    assert (file.filename, file.content_type, file.size) == ("f.jsonl", "application/jsonl", len(whole["file"].data))
    assert file.lines == sum(1 for line in whole["file"].data.split(b"\n") if line.strip())
    reader.discard()
    assert not file.path.exists(), "discard removes what no one took"


@pytest.mark.parametrize("seed", range(2311, 2316))
def test_lines_counted_in_pieces_are_the_lines_counted_whole(seed: int) -> None:
    rng = random.Random(seed)
    data = bytes(rng.choice(b"a \t\r\n\x0b\x0c") for _ in range(rng.randint(0, 3000)))
    counter = LineCounter()
    for piece in _split(data, rng) if len(data) > 1 else [data]:
        counter.feed(piece)
    assert counter.lines == sum(1 for line in data.split(b"\n") if line.strip())


@pytest.mark.parametrize(
    "body",
    [
        b'--B\r\nContent-Disposition: form-data; name="file"\r\n\r\nno closing delimiter',
        b"--B\r\n\r\nno headers\r\n--B--\r\n",
        b'--B\r\nContent-Disposition: attachment; name="file"\r\n\r\nx\r\n--B--\r\n',
        b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n",
        b"--B\r\nNo-Colon\r\n\r\nx\r\n--B--\r\n",
        b"--Bjunk",
        b"--B\r\n" + b"X-Long: " + b"h" * 20000 + b"\r\n\r\nx\r\n--B--\r\n",
    ],
)
def test_malformed_forms_are_a_400(body: bytes) -> None:
    def read() -> dict[str, multipart.Part]:
        reader = multipart.FormReader(b"B")
        reader.feed(body)
        return reader.finish()

    with pytest.raises(APIError) as refused:
        read()
    assert refused.value.status == 400


# --- batch jobs read their input as a stream -----------------------------------------------------------------------


def test_a_job_reads_its_input_file_as_a_stream_in_bounded_memory() -> None:
    # Before: a job over a 32 MiB file of one-byte lines took 770 MB: every line, and a label for each, in lists.
    data = b"x\n" * 100_000
    with BackgroundServer(fast()) as server:
        app = server.app
        stored = app.files.add(data, filename="one-byte-lines.jsonl", purpose="batch", mimetype=None)
        tracemalloc.start()
        try:
            job = app.batch.create({"input_files": [stored.id], "model": "mistral-embed"})
            deadline = time.monotonic() + 120
            while app.batch.get(job["id"])["status"] not in batch_module.FINAL:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        done = app.batch.get(job["id"])
        assert (done["status"], done["total_requests"], done["failed_requests"]) == ("SUCCESS", 100_000, 100_000)
    assert peak < 3 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {len(data) / 2**20:.1f} MiB input"


def test_a_job_streams_a_file_deleted_after_it_was_made_and_answers_every_line_once() -> None:
    lines = b"".join(orjson.dumps({"custom_id": str(i), "body": {"input": [f"t {i}"]}}) + b"\n" for i in range(3000))
    with BackgroundServer(fast(batch=BatchSettings(requests_per_second=0, seed=2317))) as server, client(server) as a:
        file_id = a.post("/v1/files", files={"file": ("in.jsonl", lines)}).json()["id"]
        job = a.post(
            "/v1/batch/jobs", json={"input_files": [file_id], "model": "mistral-embed", "endpoint": "/v1/embeddings"}
        ).json()
        assert job["total_requests"] == 3000
        assert a.delete(f"/v1/files/{file_id}").status_code == 200
        done = finished(a, job["id"])
        assert (done["status"], done["succeeded_requests"]) == ("SUCCESS", 3000)
        output = [orjson.loads(line) for line in a.get(f"/v1/files/{done['output_file']}/content").content.splitlines()]
        ids = [line["custom_id"] for line in output]
        assert sorted(ids, key=int) == [str(i) for i in range(3000)], "every line once"
        assert ids != sorted(ids, key=int), "still shuffled"
        assert all(line["id"] == f"batch-{job['id']}-{line['custom_id']}" for line in output)


def test_a_line_over_the_bound_is_an_error_line_read_past_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_module, "MAX_LINE_BYTES", 64)
    good = orjson.dumps({"custom_id": "ok", "body": {"input": ["short"]}})
    long = orjson.dumps({"custom_id": "long", "body": {"input": ["z" * 500]}})
    with BackgroundServer(fast()) as server, client(server) as a:
        file_id = a.post("/v1/files", files={"file": ("in.jsonl", good + b"\n" + long + b"\n" + b" " * 300 + b"\n")})
        job = a.post(
            "/v1/batch/jobs",
            json={"input_files": [file_id.json()["id"]], "model": "mistral-embed", "endpoint": "/v1/embeddings"},
        ).json()
        assert job["total_requests"] == 2, "a long blank line is no request"
        done = finished(a, job["id"])
        assert (done["succeeded_requests"], done["failed_requests"]) == (1, 1)
        error = orjson.loads(a.get(f"/v1/files/{done['error_file']}/content").content)
        assert error["error"]["code"] == "line_too_long"


# --- slowloris -----------------------------------------------------------------------------------------------------

HEAD = b"POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer dev-token\r\n"


def _read_until_closed(connection: socket.socket, deadline: float) -> bytes:
    received = b""
    while True:
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            piece = connection.recv(4096)
        except TimeoutError:
            raise AssertionError("the server held the connection past the bound") from None
        except ConnectionResetError:
            return received
        if not piece:
            return received
        received += piece


def test_half_open_connections_are_closed_within_the_header_and_body_timeouts() -> None:
    # Before: 450 half-open connections were all still held after 36 s (no header or body timeout).
    config = fast(header_timeout=0.5, body_timeout=0.5, body_min_rate=1000)
    with BackgroundServer(config) as server:
        connections = []
        for index in range(60):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if index % 3 == 1:
                connection.sendall(HEAD)  # headers never finished
            elif index % 3 == 2:
                connection.sendall(HEAD + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            connections.append(connection)  # index % 3 == 0: silent
        started = time.monotonic()
        # Meanwhile the server answers others.
        with client(server) as http:
            assert http.post("/v1/embeddings", json={"model": "mistral-embed", "input": ["hi"]}).status_code == 200
        answers = [_read_until_closed(connection, started + 10) for connection in connections]
        for connection in connections:
            connection.close()
        closed = server._server.config.http_protocol_class.closed  # type: ignore[attr-defined]
    assert all(answer == b"" for answer in answers[0::3]), "a silent connection is closed without an answer"
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers[1::3]), answers[1]
    assert all(not answer.startswith(b"HTTP/1.1 200") for answer in answers[2::3])
    assert closed == {"headers": 40, "body": 20}


def test_a_body_dripped_steadily_below_the_minimum_rate_is_closed_though_it_never_pauses_long() -> None:
    config = fast(header_timeout=5, body_timeout=0.6, body_min_rate=1000)
    with BackgroundServer(config) as server:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        connection.sendall(HEAD + b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        started = time.monotonic()
        try:
            while time.monotonic() - started < 10:
                connection.sendall(b" ")  # a byte every 0.1 s: never idle past 0.6 s, far below 1000 bytes/s
                time.sleep(0.1)
        except OSError:
            pass  # closed by the server
        held = time.monotonic() - started
        connection.close()
    assert held < 5, f"held {held:.1f} s"


def test_a_slow_but_steady_upload_and_keep_alive_requests_are_not_cut() -> None:
    config = fast(header_timeout=0.5, body_timeout=0.5, body_min_rate=1000)
    with BackgroundServer(config) as server:

        def steady() -> Iterator[bytes]:
            for _ in range(8):
                time.sleep(0.2)  # 1.6 s in all, past every timeout, at 20 KB/s
                yield b"a" * 4095 + b"\n"

        answer = httpx.post(server.url + "/v1/files", content=_form(steady()), headers=UPLOAD_HEADERS, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["num_lines"] == 8
        with client(server) as http:
            for _ in range(3):
                time.sleep(0.3)  # idle between requests within the keep-alive bound, past the header timeout
                assert http.get("/v1/models").status_code == 200


def test_time_the_server_takes_before_reading_a_body_is_not_held_against_the_client() -> None:
    # The client waits for `100 Continue`, which uvicorn sends only when the application first reads the body; the
    # application first waits its latency, longer than the body timeout.
    config = fast(header_timeout=0.5, body_timeout=0.5, body_min_rate=1000, latency_ms=1500)
    body = orjson.dumps({"model": "mistral-embed", "input": ["hi"]})
    with BackgroundServer(config) as server:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        connection.sendall(HEAD + b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(body))  # fmt: skip
        assert connection.recv(4096).startswith(b"HTTP/1.1 100 ")
        connection.sendall(body)
        answer = connection.recv(65536)
        connection.close()
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


def test_the_command_takes_the_connection_timeouts() -> None:
    import sys

    from embedkit_server import ServerProcess

    server = ServerProcess([sys.executable, "-m", "embedkit_server", "--header-timeout", "0.5"])
    with server:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        connection.sendall(b"GET /v1/models HTTP/1.1\r\n")
        assert _read_until_closed(connection, time.monotonic() + 5).startswith(b"HTTP/1.1 408 ")
        connection.close()


def test_connection_timeouts_must_be_positive_and_finite() -> None:
    for bad in ({"header_timeout": 0}, {"body_timeout": float("inf")}, {"body_min_rate": float("nan")}):
        with pytest.raises(ValueError, match="timeouts"):
            ServerConfig(**bad)
    defaults = ServerConfig()
    assert (defaults.header_timeout, defaults.body_timeout, defaults.idle_timeout) == (10.0, 30.0, 30.0)


# --- the benchmark -------------------------------------------------------------------------------------------------


def test_the_upload_memory_benchmark_stores_every_upload_and_reports_its_target() -> None:
    import bench_server

    lines, targets = bench_server.upload_memory(4)  # tiny: the server's own footprint dominates; nothing is judged
    report = "\n".join(lines)
    assert "| server peak RSS (VmHWM) |" in report
    assert "reproduce: `python tools/bench_server.py --upload-mb 4 --texts 0`" in report
    assert [what for what, _, _ in targets] == ["server peak RSS ≤ 1.5x the largest upload (3 concurrent)"]


# --- organisations from the command line ---------------------------------------------------------------------------


def test_the_command_groups_keys_into_organisations_from_a_file_without_a_key_on_the_command_line(
    tmp_path: Path,
) -> None:
    import sys

    from embedkit_server import ServerProcess

    keys = ("org-key-alpha-2318", "org-key-beta-2318", "outsider-key-2318")
    organisations = tmp_path / "organisations.txt"
    organisations.write_text(f"# one organisation a line\n\n{keys[0]}   {keys[1]}\n", encoding="utf-8")
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(keys[2] + "\n", encoding="utf-8")
    output = tmp_path / "out.txt"
    command = [sys.executable, "-m", "embedkit", "serve", "--organisations-file", str(organisations),
               "--token-file", str(tokens), "--files-dir", str(tmp_path / "files"),
               "--batch-requests-per-second", "0"]  # fmt: skip
    server = ServerProcess(command, output=output)
    with server, client(server, keys[0]) as a, client(server, keys[1]) as b, client(server, keys[2]) as c:
        file_id = a.post("/v1/files", files={"file": ("a.jsonl", LINES)}).json()["id"]
        job = b.post(
            "/v1/batch/jobs",
            json={"input_files": [file_id], "model": "mistral-embed", "endpoint": "/v1/embeddings"},
        )
        assert job.status_code == 200, "a key of the organisation makes a job over its partner's file"
        assert finished(a, job.json()["id"])["status"] == "SUCCESS", "and its partner sees the job"
        assert b.get(f"/v1/files/{file_id}/content").content == LINES
        assert file_id in [f["id"] for f in b.get("/v1/files").json()["data"]]
        assert c.get(f"/v1/files/{file_id}").status_code == 404
        assert c.get(f"/v1/batch/jobs/{job.json()['id']}").status_code == 404
        assert c.get("/v1/files").json()["total"] == 0
        development = httpx.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {DEV_TOKEN}"})
        assert development.status_code == 401, "keys were given: the development key is not accepted"
    printed = output.read_text(encoding="utf-8")
    assert "3 key(s) given" in printed
    assert not any(key in printed for key in keys), "no key is printed"


def test_an_organisations_file_that_names_a_key_twice_is_refused_without_printing_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from embedkit_server import _cli

    secret = "secret-key-2319"
    organisations = tmp_path / "organisations.txt"
    organisations.write_text(f"{secret} k2\n# comment\nk3 {secret}\n", encoding="utf-8")
    assert _cli.main(["--organisations-file", str(organisations), "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert "line 3 names a key already in line 1" in error
    assert secret not in error
    organisations.write_text("# nothing\n\n", encoding="utf-8")
    assert _cli.main(["--organisations-file", str(organisations), "--port", "0"]) == 2
    assert "holds no organisation" in capsys.readouterr().err
    assert _cli.main(["--organisations-file", str(tmp_path / "missing.txt"), "--port", "0"]) == 2
    assert "cannot read --organisations-file" in capsys.readouterr().err


def test_organisations_and_send_timeouts_are_in_the_help() -> None:
    from embedkit_server import _cli

    text = _cli._parser().format_help()
    for flag in ("--organisations-file", "--send-timeout", "--send-min-rate"):
        assert flag in text


# --- uploads in progress count against the storage bound -----------------------------------------------------------

KIB = 1024
FORM_HEAD = b'--B\r\nContent-Disposition: form-data; name="file"; filename="f.jsonl"\r\n\r\n'
FORM_TAIL = b"\r\n--B--\r\n"


def _upload_content(kib: int) -> bytes:
    return (b"z" * 1023 + b"\n") * kib


def _open_upload(port: int, content: bytes, sent: int) -> socket.socket:
    """An upload on a raw connection whose body is sent up to `sent` bytes of its file's content, then held."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    length = len(FORM_HEAD) + len(content) + len(FORM_TAIL)
    connection.sendall(
        b"POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + DEV_TOKEN.encode() + b"\r\n"
        b"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: %d\r\n\r\n" % length
    )
    connection.sendall(FORM_HEAD + content[:sent])
    return connection


def _answer(connection: socket.socket, deadline: float) -> tuple[int, bytes]:
    """The status and body of one answer on a raw connection (its Content-Length read)."""
    received = b""
    while b"\r\n\r\n" not in received or len(received) < _answer_length(received):
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        piece = connection.recv(65536)
        assert piece, f"closed before an answer: {received[:200]!r}"
        received += piece
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _answer_length(received: bytes) -> int:
    head, _, _ = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(received)


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_uploads_in_progress_count_against_the_storage_bound_and_free_it_when_abandoned(tmp_path: Path) -> None:
    # Before: bytes counted only once an upload was whole, so many concurrent uploads, each within the bound, could
    # fill the disk past it before any finished.
    config = fast(max_file_bytes=1024 * KIB, max_files_bytes=2048 * KIB, files_dir=tmp_path / "files")
    content = _upload_content(900)
    with BackgroundServer(config) as server:
        store = server.app.files
        held = 800 * KIB
        a = _open_upload(server.port, content, held)
        b = _open_upload(server.port, content, held)
        _wait_for(lambda: store.used >= 2 * held - 200, 10, f"both uploads counted as they stream: {store.used}")
        assert store.uploads == 0, "neither is finished"

        # A third, which alone fits every bound, would pass the storage bound with the two in progress.
        c = _open_upload(server.port, _upload_content(600), 0)
        c.sendall(_upload_content(600) + FORM_TAIL)
        status, body = _answer(c, time.monotonic() + 10)
        c.close()
        assert status == 413, body
        assert orjson.loads(body)["message"].startswith("File storage is full"), "the full store's answer"
        assert store.uploads == 0
        _wait_for(lambda: store.used < 2 * held + 10 * KIB, 5, "the refused upload holds nothing")
        assert len(list(store.directory.iterdir())) == 2, "its partial file was removed; the two in progress stay"

        # One in progress is abandoned (its client disconnects): what it held is free again, and its file gone.
        a.close()
        _wait_for(lambda: store.used < held + 10 * KIB, 10, f"the abandoned upload was released: {store.used}")
        _wait_for(lambda: len(list(store.directory.iterdir())) == 1, 5, "its partial file was removed")

        # The other finishes, and is counted once, at its size.
        b.sendall(content[held:] + FORM_TAIL)
        status, body = _answer(b, time.monotonic() + 10)
        b.close()
        assert status == 200, body
        assert store.used == len(content)

        # The room the abandoned upload held is there for the next.
        answer = httpx.post(server.url + "/v1/files", files={"file": ("d.jsonl", content)},
                            headers={"Authorization": f"Bearer {DEV_TOKEN}"}, timeout=30)  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert store.used == 2 * len(content)
        assert store.uploads == 2
        assert sorted(path.name.startswith(".partial-") for path in store.directory.iterdir()) == [False, False]


def test_a_refused_upload_frees_its_reservation_and_the_bound_holds_under_many_concurrent_uploads(
    tmp_path: Path,
) -> None:
    rng = random.Random(2320)
    limit = 1024 * KIB
    config = fast(max_file_bytes=512 * KIB, max_files_bytes=limit, files_dir=tmp_path / "files")
    sizes = [rng.randint(100, 400) for _ in range(8)]
    with BackgroundServer(config) as server:
        store = server.app.files
        uploads = [_open_upload(server.port, _upload_content(size), 0) for size in sizes]
        peak = 0
        # Sent in turns of 32 KiB each, every upload in progress at once, the store's count watched between turns.
        for offset in range(0, max(sizes) * KIB, 32 * KIB):
            for connection, size in zip(uploads, sizes, strict=True):
                piece = _upload_content(size)[offset : offset + 32 * KIB]
                with contextlib.suppress(OSError):  # refused and closed by the server: the store was full
                    connection.sendall(piece + (FORM_TAIL if offset + 32 * KIB >= size * KIB else b""))
            time.sleep(0.01)
            peak = max(peak, store.used)
        statuses = []
        for connection in uploads:
            try:
                statuses.append(_answer(connection, time.monotonic() + 10)[0])
            except (AssertionError, OSError):
                statuses.append(0)  # closed after its 413
            connection.close()
        stored = [stored for stored in store if not stored.deleted]
        assert peak <= limit
        assert store.used <= limit
        assert 200 in statuses, statuses
        assert any(status != 200 for status in statuses), statuses
        assert statuses.count(200) == len(stored)
        _wait_for(lambda: store.used == sum(s.bytes for s in stored), 5, "only the stored files are counted")
        assert sum(s.bytes for s in stored) <= limit


# --- slow readers --------------------------------------------------------------------------------------------------


def _stored_file(server: Any, size: int) -> str:
    """A file of `size` bytes uploaded (streamed a MiB at a time, never held whole)."""
    piece = b"r" * (2**20 - 1) + b"\n"
    answer = httpx.post(
        server.url + "/v1/files", content=_form(iter([piece] * (size // 2**20))), headers=UPLOAD_HEADERS, timeout=60
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _download_request(file_id: str) -> bytes:
    return (f"GET /v1/files/{file_id}/content HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {DEV_TOKEN}\r\n\r\n").encode()  # fmt: skip


def test_a_client_that_never_reads_its_download_is_cut_off_and_others_are_served_meanwhile(tmp_path: Path) -> None:
    # Before: a client that asked for a large file and read nothing (or 1 byte/s) held the connection, the
    # application's task and a MiB of the file in the server for ever.
    size = 32 * 2**20
    config = fast(send_timeout=0.5, files_dir=tmp_path / "files")
    with BackgroundServer(config) as server:
        file_id = _stored_file(server, size)
        with client(server) as http:
            small = http.post("/v1/files", files={"file": ("small.jsonl", LINES)}).json()["id"]
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window it offers
        stalled.settimeout(10)
        stalled.connect(("127.0.0.1", server.port))
        stalled.sendall(_download_request(file_id))
        started = time.monotonic()
        # Meanwhile the server answers others, at once.
        with client(server) as http:
            for _ in range(3):
                asked = time.monotonic()
                assert http.get("/v1/models").status_code == 200
                assert http.get(f"/v1/files/{small}/content").content == LINES
                assert time.monotonic() - asked < 2
        closed = server._server.config.http_protocol_class.closed  # type: ignore[attr-defined]
        _wait_for(lambda: closed.get("send") == 1, 10, f"the silent reader was not cut off: {closed}")
        held = time.monotonic() - started
        _wait_for(lambda: not server._server.server_state.connections, 5, "its connection is gone from the server")
        # What the client gets now is what the kernels had buffered, then the end: not the whole file.
        received = 0
        stalled.settimeout(0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                piece = stalled.recv(1 << 20)
            except (TimeoutError, ConnectionResetError):
                break
            if not piece:
                break
            received += len(piece)
        stalled.close()
    assert held < 5, f"held {held:.1f} s with a 0.5 s send timeout"
    assert received < size, "the download was cut, not completed"


def test_a_slow_but_steady_reader_gets_its_whole_download(tmp_path: Path) -> None:
    size = 4 * 2**20
    config = fast(send_timeout=1.0, send_min_rate=50_000, files_dir=tmp_path / "files")
    with BackgroundServer(config) as server:
        file_id = _stored_file(server, size)
        reader = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Not much smaller: on loopback (a 64 KiB segment) a window that never opens a whole segment leaves the
        # sender to the kernel's zero-window probes, stalls of the kernel's own, not of the reader.
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        reader.settimeout(10)
        reader.connect(("127.0.0.1", server.port))
        reader.sendall(_download_request(file_id))
        received = b""
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in received or len(received) < _answer_length(received):
            assert time.monotonic() < deadline, f"{len(received)} bytes in 30 s"
            received += reader.recv(64 * KIB)
            time.sleep(0.01)  # a few MB/s, far above 50 KB/s; each pause far below the 1 s timeout
        reader.close()
        closed = server._server.config.http_protocol_class.closed  # type: ignore[attr-defined]
    assert received.startswith(b"HTTP/1.1 200 ")
    assert len(received.partition(b"\r\n\r\n")[2]) == size
    assert closed.get("send") is None


def test_the_batch_memory_benchmark_runs_a_job_over_a_file_of_one_byte_lines_and_reports_its_target() -> None:
    import bench_server

    lines, targets = bench_server.batch_memory(1)  # tiny: 524,288 lines in seconds; nothing is judged
    report = "\n".join(lines)
    assert "a batch job over a 1 MiB file of one-byte lines (524,288 lines)" in report
    assert "| server peak RSS (VmHWM) |" in report
    assert "reproduce: `python tools/bench_server.py --texts 0 --upload-mb 0 --batch-file-mb 1`" in report
    assert [what for what, _, _ in targets] == ["server RSS growth < 0.5x the input file (a batch job over 1 MiB)"]
