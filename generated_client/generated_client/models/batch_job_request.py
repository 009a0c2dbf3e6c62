from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.batch_endpoint import BatchEndpoint, check_batch_endpoint
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_job_request_metadata_type_0 import BatchJobRequestMetadataType0


T = TypeVar("T", bound="BatchJobRequest")


@_attrs_define
class BatchJobRequest:
    """A batch job to create (Mistral's fields; its inline `requests` and `agent_id` alternatives are not
    modelled, so `input_files` and `model` are required here).

    """

    input_files: list[str]
    """ Uploaded JSONL files (`purpose: batch`), one request per line, by id (uuids). """
    endpoint: BatchEndpoint
    """ The endpoint a batch job calls. Mistral's list is longer (chat, FIM, moderations, OCR, ...); this
    contract, which models the embeddings API, has only `/v1/embeddings`.
     """
    model: str
    """ The model every line is served by, e.g. `mistral-embed`. """
    metadata: BatchJobRequestMetadataType0 | None | Unset = UNSET
    """ Labels of your choice, returned with the job. Mistral's SDK types the values as strings; send strings.
     """
    timeout_hours: int | Unset = 24
    """ Hours after which an unfinished job stops as `TIMEOUT_EXCEEDED` (Mistral's default: 24). The lower bound
    is this contract's.
     """

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_job_request_metadata_type_0 import BatchJobRequestMetadataType0  # noqa: PLC0415

        input_files = self.input_files

        endpoint: str = self.endpoint

        model = self.model

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, BatchJobRequestMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        timeout_hours = self.timeout_hours

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "input_files": input_files,
                "endpoint": endpoint,
                "model": model,
            }
        )
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if timeout_hours is not UNSET:
            field_dict["timeout_hours"] = timeout_hours

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_job_request_metadata_type_0 import BatchJobRequestMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        _input_files = d.pop("input_files")
        if not isinstance(_input_files, list):
            raise TypeError(f"input_files: expected array, got {type(_input_files).__name__}")
        input_files = []
        for input_files_item_data in _input_files:
            input_files_item = input_files_item_data
            if not (isinstance(input_files_item, str)):
                raise TypeError(f"input_files_item: expected string, got {type(input_files_item).__name__}")

            input_files.append(input_files_item)

        endpoint = check_batch_endpoint(d.pop("endpoint"))

        model = d.pop("model")
        if not (isinstance(model, str)):
            raise TypeError(f"model: expected string, got {type(model).__name__}")

        def _parse_metadata(data: object) -> BatchJobRequestMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                _metadata_type_0 = data
                if not isinstance(_metadata_type_0, dict):
                    raise TypeError(f"metadata_type_0: expected object, got {type(_metadata_type_0).__name__}")
                metadata_type_0 = BatchJobRequestMetadataType0.from_dict(_metadata_type_0)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"metadata: expected dict[str, Any] | None, got {type(data).__name__}")
            metadata_type_1 = data
            if not (metadata_type_1 is None):
                raise TypeError(f"metadata_type_1: expected null, got {type(metadata_type_1).__name__}")

            return metadata_type_1

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        timeout_hours = d.pop("timeout_hours", UNSET)
        if isinstance(timeout_hours, float) and timeout_hours.is_integer():
            timeout_hours = int(timeout_hours)
        if not (
            (isinstance(timeout_hours, int) and not isinstance(timeout_hours, bool)) or isinstance(timeout_hours, Unset)
        ):
            raise TypeError(f"timeout_hours: expected int, got {type(timeout_hours).__name__}")

        batch_job_request = cls(
            input_files=input_files,
            endpoint=endpoint,
            model=model,
            metadata=metadata,
            timeout_hours=timeout_hours,
        )

        return batch_job_request
