from typing import Literal

EmbeddingDtype = Literal["binary", "float", "int8", "ubinary", "uint8"]

EMBEDDING_DTYPE_VALUES: set[EmbeddingDtype] = {
    "binary",
    "float",
    "int8",
    "ubinary",
    "uint8",
}


def check_embedding_dtype(value: str) -> EmbeddingDtype:
    if isinstance(value, str) and value in EMBEDDING_DTYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of binary, float, int8, ubinary, uint8")
