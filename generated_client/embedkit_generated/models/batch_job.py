from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.batch_job_status import BatchJobStatus, check_batch_job_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_error import BatchError
    from ..models.batch_job_metadata_type_0 import BatchJobMetadataType0
    from ..models.batch_job_outputs_type_0_item import BatchJobOutputsType0Item


T = TypeVar("T", bound="BatchJob")


@_attrs_define
class BatchJob:
    id: str
    input_files: list[UUID]
    endpoint: str
    errors: list[BatchError]
    status: BatchJobStatus
    created_at: int
    total_requests: int
    completed_requests: int
    succeeded_requests: int
    failed_requests: int
    object_: Literal["batch"] | Unset = "batch"
    metadata: BatchJobMetadataType0 | None | Unset = UNSET
    model: None | str | Unset = UNSET
    agent_id: None | str | Unset = UNSET
    output_file: None | Unset | UUID = UNSET
    error_file: None | Unset | UUID = UNSET
    outputs: list[BatchJobOutputsType0Item] | None | Unset = UNSET
    started_at: int | None | Unset = UNSET
    completed_at: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_job_metadata_type_0 import BatchJobMetadataType0  # noqa: PLC0415

        id = self.id

        input_files = []
        for input_files_item_data in self.input_files:
            input_files_item = str(input_files_item_data)
            input_files.append(input_files_item)

        endpoint = self.endpoint

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        status: str = self.status

        created_at = self.created_at

        total_requests = self.total_requests

        completed_requests = self.completed_requests

        succeeded_requests = self.succeeded_requests

        failed_requests = self.failed_requests

        object_ = self.object_

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, BatchJobMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        agent_id: None | str | Unset
        if isinstance(self.agent_id, Unset):
            agent_id = UNSET
        else:
            agent_id = self.agent_id

        output_file: None | str | Unset
        if isinstance(self.output_file, Unset):
            output_file = UNSET
        elif isinstance(self.output_file, UUID):
            output_file = str(self.output_file)
        else:
            output_file = self.output_file

        error_file: None | str | Unset
        if isinstance(self.error_file, Unset):
            error_file = UNSET
        elif isinstance(self.error_file, UUID):
            error_file = str(self.error_file)
        else:
            error_file = self.error_file

        outputs: list[dict[str, Any]] | None | Unset
        if isinstance(self.outputs, Unset):
            outputs = UNSET
        elif isinstance(self.outputs, list):
            outputs = []
            for outputs_type_0_item_data in self.outputs:
                outputs_type_0_item = outputs_type_0_item_data.to_dict()
                outputs.append(outputs_type_0_item)

        else:
            outputs = self.outputs

        started_at: int | None | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        else:
            started_at = self.started_at

        completed_at: int | None | Unset
        if isinstance(self.completed_at, Unset):
            completed_at = UNSET
        else:
            completed_at = self.completed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "input_files": input_files,
                "endpoint": endpoint,
                "errors": errors,
                "status": status,
                "created_at": created_at,
                "total_requests": total_requests,
                "completed_requests": completed_requests,
                "succeeded_requests": succeeded_requests,
                "failed_requests": failed_requests,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if model is not UNSET:
            field_dict["model"] = model
        if agent_id is not UNSET:
            field_dict["agent_id"] = agent_id
        if output_file is not UNSET:
            field_dict["output_file"] = output_file
        if error_file is not UNSET:
            field_dict["error_file"] = error_file
        if outputs is not UNSET:
            field_dict["outputs"] = outputs
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if completed_at is not UNSET:
            field_dict["completed_at"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_error import BatchError  # noqa: PLC0415
        from ..models.batch_job_metadata_type_0 import BatchJobMetadataType0  # noqa: PLC0415
        from ..models.batch_job_outputs_type_0_item import BatchJobOutputsType0Item  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        _input_files = d.pop("input_files")
        if not isinstance(_input_files, list):
            raise TypeError(f"input_files: expected array, got {type(_input_files).__name__}")
        input_files = []
        for input_files_item_data in _input_files:
            input_files_item = UUID(input_files_item_data)

            input_files.append(input_files_item)

        endpoint = d.pop("endpoint")
        if not (isinstance(endpoint, str)):
            raise TypeError(f"endpoint: expected string, got {type(endpoint).__name__}")

        _errors = d.pop("errors")
        if not isinstance(_errors, list):
            raise TypeError(f"errors: expected array, got {type(_errors).__name__}")
        errors = []
        for errors_item_data in _errors:
            _errors_item = errors_item_data
            if not isinstance(_errors_item, dict):
                raise TypeError(f"errors_item: expected object, got {type(_errors_item).__name__}")
            errors_item = BatchError.from_dict(_errors_item)

            errors.append(errors_item)

        status = check_batch_job_status(d.pop("status"))

        created_at = d.pop("created_at")
        if isinstance(created_at, float) and created_at.is_integer():
            created_at = int(created_at)
        if not (isinstance(created_at, int) and not isinstance(created_at, bool)):
            raise TypeError(f"created_at: expected int, got {type(created_at).__name__}")

        total_requests = d.pop("total_requests")
        if isinstance(total_requests, float) and total_requests.is_integer():
            total_requests = int(total_requests)
        if not (isinstance(total_requests, int) and not isinstance(total_requests, bool)):
            raise TypeError(f"total_requests: expected int, got {type(total_requests).__name__}")

        completed_requests = d.pop("completed_requests")
        if isinstance(completed_requests, float) and completed_requests.is_integer():
            completed_requests = int(completed_requests)
        if not (isinstance(completed_requests, int) and not isinstance(completed_requests, bool)):
            raise TypeError(f"completed_requests: expected int, got {type(completed_requests).__name__}")

        succeeded_requests = d.pop("succeeded_requests")
        if isinstance(succeeded_requests, float) and succeeded_requests.is_integer():
            succeeded_requests = int(succeeded_requests)
        if not (isinstance(succeeded_requests, int) and not isinstance(succeeded_requests, bool)):
            raise TypeError(f"succeeded_requests: expected int, got {type(succeeded_requests).__name__}")

        failed_requests = d.pop("failed_requests")
        if isinstance(failed_requests, float) and failed_requests.is_integer():
            failed_requests = int(failed_requests)
        if not (isinstance(failed_requests, int) and not isinstance(failed_requests, bool)):
            raise TypeError(f"failed_requests: expected int, got {type(failed_requests).__name__}")

        object_ = cast(Literal["batch"] | Unset, d.pop("object", UNSET))
        if object_ != "batch" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'batch', got '{object_}'")

        def _parse_metadata(data: object) -> BatchJobMetadataType0 | None | Unset:
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
                metadata_type_0 = BatchJobMetadataType0.from_dict(_metadata_type_0)

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

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                model_type_0 = data
                if not (isinstance(model_type_0, str)):
                    raise TypeError(f"model_type_0: expected string, got {type(model_type_0).__name__}")

                return model_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"model: expected None | str, got {type(data).__name__}")
            model_type_1 = data
            if not (model_type_1 is None):
                raise TypeError(f"model_type_1: expected null, got {type(model_type_1).__name__}")

            return model_type_1

        model = _parse_model(d.pop("model", UNSET))

        def _parse_agent_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                agent_id_type_0 = data
                if not (isinstance(agent_id_type_0, str)):
                    raise TypeError(f"agent_id_type_0: expected string, got {type(agent_id_type_0).__name__}")

                return agent_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"agent_id: expected None | str, got {type(data).__name__}")
            agent_id_type_1 = data
            if not (agent_id_type_1 is None):
                raise TypeError(f"agent_id_type_1: expected null, got {type(agent_id_type_1).__name__}")

            return agent_id_type_1

        agent_id = _parse_agent_id(d.pop("agent_id", UNSET))

        def _parse_output_file(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                output_file_type_0 = UUID(data)

                return output_file_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"output_file: expected None | str, got {type(data).__name__}")
            output_file_type_1 = data
            if not (output_file_type_1 is None):
                raise TypeError(f"output_file_type_1: expected null, got {type(output_file_type_1).__name__}")

            return output_file_type_1

        output_file = _parse_output_file(d.pop("output_file", UNSET))

        def _parse_error_file(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                error_file_type_0 = UUID(data)

                return error_file_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"error_file: expected None | str, got {type(data).__name__}")
            error_file_type_1 = data
            if not (error_file_type_1 is None):
                raise TypeError(f"error_file_type_1: expected null, got {type(error_file_type_1).__name__}")

            return error_file_type_1

        error_file = _parse_error_file(d.pop("error_file", UNSET))

        def _parse_outputs(data: object) -> list[BatchJobOutputsType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _outputs_type_0 = data
                if not isinstance(_outputs_type_0, list):
                    raise TypeError(f"outputs_type_0: expected array, got {type(_outputs_type_0).__name__}")
                outputs_type_0 = []
                for outputs_type_0_item_data in _outputs_type_0:
                    _outputs_type_0_item = outputs_type_0_item_data
                    if not isinstance(_outputs_type_0_item, dict):
                        raise TypeError(
                            f"outputs_type_0_item: expected object, got {type(_outputs_type_0_item).__name__}"
                        )
                    outputs_type_0_item = BatchJobOutputsType0Item.from_dict(_outputs_type_0_item)

                    outputs_type_0.append(outputs_type_0_item)

                return outputs_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"outputs: expected list[dict[str, Any]] | None, got {type(data).__name__}")
            outputs_type_1 = data
            if not (outputs_type_1 is None):
                raise TypeError(f"outputs_type_1: expected null, got {type(outputs_type_1).__name__}")

            return outputs_type_1

        outputs = _parse_outputs(d.pop("outputs", UNSET))

        def _parse_started_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not (
                    (isinstance(data, int) and not isinstance(data, bool))
                    or (isinstance(data, float) and data.is_integer())
                ):
                    raise TypeError()
                started_at_type_0 = data
                if isinstance(started_at_type_0, float) and started_at_type_0.is_integer():
                    started_at_type_0 = int(started_at_type_0)
                if not (isinstance(started_at_type_0, int) and not isinstance(started_at_type_0, bool)):
                    raise TypeError(f"started_at_type_0: expected int, got {type(started_at_type_0).__name__}")

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"started_at: expected int | None, got {type(data).__name__}")
            started_at_type_1 = data
            if not (started_at_type_1 is None):
                raise TypeError(f"started_at_type_1: expected null, got {type(started_at_type_1).__name__}")

            return started_at_type_1

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        def _parse_completed_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not (
                    (isinstance(data, int) and not isinstance(data, bool))
                    or (isinstance(data, float) and data.is_integer())
                ):
                    raise TypeError()
                completed_at_type_0 = data
                if isinstance(completed_at_type_0, float) and completed_at_type_0.is_integer():
                    completed_at_type_0 = int(completed_at_type_0)
                if not (isinstance(completed_at_type_0, int) and not isinstance(completed_at_type_0, bool)):
                    raise TypeError(f"completed_at_type_0: expected int, got {type(completed_at_type_0).__name__}")

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"completed_at: expected int | None, got {type(data).__name__}")
            completed_at_type_1 = data
            if not (completed_at_type_1 is None):
                raise TypeError(f"completed_at_type_1: expected null, got {type(completed_at_type_1).__name__}")

            return completed_at_type_1

        completed_at = _parse_completed_at(d.pop("completed_at", UNSET))

        batch_job = cls(
            id=id,
            input_files=input_files,
            endpoint=endpoint,
            errors=errors,
            status=status,
            created_at=created_at,
            total_requests=total_requests,
            completed_requests=completed_requests,
            succeeded_requests=succeeded_requests,
            failed_requests=failed_requests,
            object_=object_,
            metadata=metadata,
            model=model,
            agent_id=agent_id,
            output_file=output_file,
            error_file=error_file,
            outputs=outputs,
            started_at=started_at,
            completed_at=completed_at,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        batch_job.additional_properties = additional_properties
        return batch_job

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
