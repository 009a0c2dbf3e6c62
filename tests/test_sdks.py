"""The official SDKs, which nobody here wrote, as test clients of the reference server.

The `mistralai` and `openai` SDKs (pinned in the `bench` extra) must succeed or fail against the reference server
exactly as they are reported to against api.mistral.ai: floats even when base64 is asked, versioned model ids,
Mistral's error statuses. A server that only agreed with embedkit would not pass these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import openai
import pytest
from reference_server import DEV_TOKEN, BackgroundServer, ServerConfig, compute_vector, truncate

mistralai_client = pytest.importorskip("mistralai.client")
mistralai_errors = pytest.importorskip("mistralai.client.errors")

TEXTS = ["The cat sat on the mat.", "A dog slept in the sun."]
DTYPE_WIDTHS = {"float": 256, "int8": 256, "uint8": 256, "binary": 32, "ubinary": 32}
DTYPE_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "binary": (-128, 127), "ubinary": (0, 255)}


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
    assert set(cards) == {"mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed"}
    assert cards["mistral-embed"].aliases == ["mistral-embed-2312"]
    assert type(cards["mistral-embed"]).__name__ == "BaseModelCard"


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
    assert ids == ["mistral-embed-2312", "mistral-embed", "codestral-embed-2505", "codestral-embed"]


def test_openai_typed_errors_for_a_wrong_key_an_invalid_body_and_an_unknown_model(server: Any) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai_client(server, key="not-the-key").embeddings.create(model="mistral-embed", input=TEXTS)
    with pytest.raises(openai.UnprocessableEntityError):
        openai_client(server).embeddings.create(model="mistral-embed", input=TEXTS, extra_body={"output_dimension": 0})
    with pytest.raises(openai.BadRequestError, match="Invalid model"):
        openai_client(server).embeddings.create(model="text-embedding-3-small", input=TEXTS)
