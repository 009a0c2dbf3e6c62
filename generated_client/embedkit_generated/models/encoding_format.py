from typing import Literal

EncodingFormat = Literal["base64", "float"]

ENCODING_FORMAT_VALUES: set[EncodingFormat] = {
    "base64",
    "float",
}


def check_encoding_format(value: str) -> EncodingFormat:
    if isinstance(value, str) and value in ENCODING_FORMAT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of base64, float")
