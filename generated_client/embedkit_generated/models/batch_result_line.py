from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.batch_line_error import BatchLineError
    from ..models.batch_line_response import BatchLineResponse


T = TypeVar("T", bound="BatchResultLine")


@_attrs_define
class BatchResultLine:
    """One line of a job's output or error file. Assumed, not documented by Mistral beyond "the custom_id and the
    response or an error" (the shape is OpenAI's, which Mistral's batch API mirrors): an answered line has
    `response` (status 200 in the output file; 4xx in the error file) and `error: null`; a line that could not
    be read has `response: null` and an `error`. Lines come in any order: match them by `custom_id`.

    """

    id: str
    custom_id: None | str
    response: BatchLineResponse | None
    error: BatchLineError | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_line_error import BatchLineError  # noqa: PLC0415
        from ..models.batch_line_response import BatchLineResponse  # noqa: PLC0415

        id = self.id

        custom_id: None | str
        custom_id = self.custom_id

        response: dict[str, Any] | None
        if isinstance(self.response, BatchLineResponse):
            response = self.response.to_dict()
        else:
            response = self.response

        error: dict[str, Any] | None
        if isinstance(self.error, BatchLineError):
            error = self.error.to_dict()
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "custom_id": custom_id,
                "response": response,
                "error": error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_line_error import BatchLineError  # noqa: PLC0415
        from ..models.batch_line_response import BatchLineResponse  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        def _parse_custom_id(data: object) -> None | str:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                custom_id_type_0 = data
                if not (isinstance(custom_id_type_0, str)):
                    raise TypeError(f"custom_id_type_0: expected string, got {type(custom_id_type_0).__name__}")

                return custom_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"custom_id: expected None | str, got {type(data).__name__}")
            custom_id_type_1 = data
            if not (custom_id_type_1 is None):
                raise TypeError(f"custom_id_type_1: expected null, got {type(custom_id_type_1).__name__}")

            return custom_id_type_1

        custom_id = _parse_custom_id(d.pop("custom_id"))

        def _parse_response(data: object) -> BatchLineResponse | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                _response_type_0 = data
                if not isinstance(_response_type_0, dict):
                    raise TypeError(f"response_type_0: expected object, got {type(_response_type_0).__name__}")
                response_type_0 = BatchLineResponse.from_dict(_response_type_0)

                return response_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"response: expected dict[str, Any] | None, got {type(data).__name__}")
            response_type_1 = data
            if not (response_type_1 is None):
                raise TypeError(f"response_type_1: expected null, got {type(response_type_1).__name__}")

            return response_type_1

        response = _parse_response(d.pop("response"))

        def _parse_error(data: object) -> BatchLineError | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                _error_type_0 = data
                if not isinstance(_error_type_0, dict):
                    raise TypeError(f"error_type_0: expected object, got {type(_error_type_0).__name__}")
                error_type_0 = BatchLineError.from_dict(_error_type_0)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"error: expected dict[str, Any] | None, got {type(data).__name__}")
            error_type_1 = data
            if not (error_type_1 is None):
                raise TypeError(f"error_type_1: expected null, got {type(error_type_1).__name__}")

            return error_type_1

        error = _parse_error(d.pop("error"))

        batch_result_line = cls(
            id=id,
            custom_id=custom_id,
            response=response,
            error=error,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        batch_result_line.additional_properties = additional_properties
        return batch_result_line

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
