from typing import Literal

Source = Literal["mistral", "repository", "upload"]

SOURCE_VALUES: set[Source] = {
    "mistral",
    "repository",
    "upload",
}


def check_source(value: str) -> Source:
    if isinstance(value, str) and value in SOURCE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of mistral, repository, upload")
