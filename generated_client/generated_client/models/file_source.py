from typing import Literal

FileSource = Literal["mistral", "repository", "upload"]

FILE_SOURCE_VALUES: set[FileSource] = {
    "mistral",
    "repository",
    "upload",
}


def check_file_source(value: str) -> FileSource:
    if isinstance(value, str) and value in FILE_SOURCE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of mistral, repository, upload")
