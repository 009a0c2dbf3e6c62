from typing import Literal

BatchEndpoint = Literal["/v1/embeddings"]

BATCH_ENDPOINT_VALUES: set[BatchEndpoint] = {
    "/v1/embeddings",
}


def check_batch_endpoint(value: str) -> BatchEndpoint:
    if isinstance(value, str) and value in BATCH_ENDPOINT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of /v1/embeddings")
