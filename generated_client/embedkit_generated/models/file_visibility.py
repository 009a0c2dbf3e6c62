from typing import Literal

FileVisibility = Literal["user", "workspace"]

FILE_VISIBILITY_VALUES: set[FileVisibility] = {
    "user",
    "workspace",
}


def check_file_visibility(value: str) -> FileVisibility:
    if isinstance(value, str) and value in FILE_VISIBILITY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of user, workspace")
