from typing import Literal

OutputDtype = Literal["binary", "float", "int8", "ubinary", "uint8"]

OUTPUT_DTYPE_VALUES: set[OutputDtype] = {
    "binary",
    "float",
    "int8",
    "ubinary",
    "uint8",
}


def check_output_dtype(value: str) -> OutputDtype:
    if isinstance(value, str) and value in OUTPUT_DTYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of binary, float, int8, ubinary, uint8")
