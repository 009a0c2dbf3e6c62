from typing import Literal

ApiEndpoint = Literal["/v1/embeddings"]

API_ENDPOINT_VALUES: set[ApiEndpoint] = {
    "/v1/embeddings",
}


def check_api_endpoint(value: str) -> ApiEndpoint:
    if isinstance(value, str) and value in API_ENDPOINT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of /v1/embeddings")
