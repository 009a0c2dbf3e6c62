from typing import Literal

ListBatchJobsOrderBy = Literal["-created", "created"]

LIST_BATCH_JOBS_ORDER_BY_VALUES: set[ListBatchJobsOrderBy] = {
    "-created",
    "created",
}


def check_list_batch_jobs_order_by(value: str) -> ListBatchJobsOrderBy:
    if isinstance(value, str) and value in LIST_BATCH_JOBS_ORDER_BY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of -created, created")
