from typing import Literal

BatchJobStatus = Literal[
    "CANCELLATION_REQUESTED", "CANCELLED", "FAILED", "QUEUED", "RUNNING", "SUCCESS", "TIMEOUT_EXCEEDED"
]

BATCH_JOB_STATUS_VALUES: set[BatchJobStatus] = {
    "CANCELLATION_REQUESTED",
    "CANCELLED",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "SUCCESS",
    "TIMEOUT_EXCEEDED",
}


def check_batch_job_status(value: str) -> BatchJobStatus:
    if isinstance(value, str) and value in BATCH_JOB_STATUS_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of CANCELLATION_REQUESTED, CANCELLED, FAILED, QUEUED, RUNNING, SUCCESS, TIMEOUT_EXCEEDED"
    )
