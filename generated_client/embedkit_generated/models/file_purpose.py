from typing import Literal

FilePurpose = Literal["batch", "fine-tune", "ocr"]

FILE_PURPOSE_VALUES: set[FilePurpose] = {
    "batch",
    "fine-tune",
    "ocr",
}


def check_file_purpose(value: str) -> FilePurpose:
    if isinstance(value, str) and value in FILE_PURPOSE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of batch, fine-tune, ocr")
