from typing import Literal

SampleType = Literal["batch_error", "batch_request", "batch_result", "instruct", "pretrain"]

SAMPLE_TYPE_VALUES: set[SampleType] = {
    "batch_error",
    "batch_request",
    "batch_result",
    "instruct",
    "pretrain",
}


def check_sample_type(value: str) -> SampleType:
    if isinstance(value, str) and value in SAMPLE_TYPE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of batch_error, batch_request, batch_result, instruct, pretrain"
    )
