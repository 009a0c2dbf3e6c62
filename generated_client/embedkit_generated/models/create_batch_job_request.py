from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.api_endpoint import ApiEndpoint, check_api_endpoint
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_request import BatchRequest
    from ..models.create_batch_job_request_metadata_type_0 import CreateBatchJobRequestMetadataType0


T = TypeVar("T", bound="CreateBatchJobRequest")


@_attrs_define
class CreateBatchJobRequest:
    endpoint: ApiEndpoint
    input_files: list[UUID] | None | Unset = UNSET
    requests: list[BatchRequest] | None | Unset = UNSET
    model: None | str | Unset = UNSET
    agent_id: None | str | Unset = UNSET
    metadata: CreateBatchJobRequestMetadataType0 | None | Unset = UNSET
    timeout_hours: int | Unset = 24
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_batch_job_request_metadata_type_0 import CreateBatchJobRequestMetadataType0  # noqa: PLC0415

        endpoint: str = self.endpoint

        input_files: list[str] | None | Unset
        if isinstance(self.input_files, Unset):
            input_files = UNSET
        elif isinstance(self.input_files, list):
            input_files = []
            for input_files_type_0_item_data in self.input_files:
                input_files_type_0_item = str(input_files_type_0_item_data)
                input_files.append(input_files_type_0_item)

        else:
            input_files = self.input_files

        requests: list[dict[str, Any]] | None | Unset
        if isinstance(self.requests, Unset):
            requests = UNSET
        elif isinstance(self.requests, list):
            requests = []
            for requests_type_0_item_data in self.requests:
                requests_type_0_item = requests_type_0_item_data.to_dict()
                requests.append(requests_type_0_item)

        else:
            requests = self.requests

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

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, CreateBatchJobRequestMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        timeout_hours = self.timeout_hours

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "endpoint": endpoint,
            }
        )
        if input_files is not UNSET:
            field_dict["input_files"] = input_files
        if requests is not UNSET:
            field_dict["requests"] = requests
        if model is not UNSET:
            field_dict["model"] = model
        if agent_id is not UNSET:
            field_dict["agent_id"] = agent_id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if timeout_hours is not UNSET:
            field_dict["timeout_hours"] = timeout_hours

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_request import BatchRequest  # noqa: PLC0415
        from ..models.create_batch_job_request_metadata_type_0 import CreateBatchJobRequestMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        endpoint = check_api_endpoint(d.pop("endpoint"))

        def _parse_input_files(data: object) -> list[UUID] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _input_files_type_0 = data
                if not isinstance(_input_files_type_0, list):
                    raise TypeError(f"input_files_type_0: expected array, got {type(_input_files_type_0).__name__}")
                input_files_type_0 = []
                for input_files_type_0_item_data in _input_files_type_0:
                    input_files_type_0_item = UUID(input_files_type_0_item_data)

                    input_files_type_0.append(input_files_type_0_item)

                return input_files_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"input_files: expected list[str] | None, got {type(data).__name__}")
            input_files_type_1 = data
            if not (input_files_type_1 is None):
                raise TypeError(f"input_files_type_1: expected null, got {type(input_files_type_1).__name__}")

            return input_files_type_1

        input_files = _parse_input_files(d.pop("input_files", UNSET))

        def _parse_requests(data: object) -> list[BatchRequest] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _requests_type_0 = data
                if not isinstance(_requests_type_0, list):
                    raise TypeError(f"requests_type_0: expected array, got {type(_requests_type_0).__name__}")
                requests_type_0 = []
                for requests_type_0_item_data in _requests_type_0:
                    _requests_type_0_item = requests_type_0_item_data
                    if not isinstance(_requests_type_0_item, dict):
                        raise TypeError(
                            f"requests_type_0_item: expected object, got {type(_requests_type_0_item).__name__}"
                        )
                    requests_type_0_item = BatchRequest.from_dict(_requests_type_0_item)

                    requests_type_0.append(requests_type_0_item)

                return requests_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"requests: expected list[dict[str, Any]] | None, got {type(data).__name__}")
            requests_type_1 = data
            if not (requests_type_1 is None):
                raise TypeError(f"requests_type_1: expected null, got {type(requests_type_1).__name__}")

            return requests_type_1

        requests = _parse_requests(d.pop("requests", UNSET))

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

        def _parse_metadata(data: object) -> CreateBatchJobRequestMetadataType0 | None | Unset:
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
                metadata_type_0 = CreateBatchJobRequestMetadataType0.from_dict(_metadata_type_0)

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

        create_batch_job_request = cls(
            endpoint=endpoint,
            input_files=input_files,
            requests=requests,
            model=model,
            agent_id=agent_id,
            metadata=metadata,
            timeout_hours=timeout_hours,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        create_batch_job_request.additional_properties = additional_properties
        return create_batch_job_request

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
