from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorResponse")


@_attrs_define
class ErrorResponse:
    """Mistral's error body. Only `message` is always there: some 429 bodies carry nothing else, and some 401
    bodies only `message` and `request_id` (reported).

    """

    message: str
    object_: Literal["error"] | Unset = UNSET
    request_id: str | Unset = UNSET
    """ An identifier of the failed request (reported on 401 bodies). """
    raw_status_code: int | Unset = UNSET
    """ The HTTP status again; seen beside the documented keys since 2026 (reported). """
    type_: str | Unset = UNSET
    param: None | str | Unset = UNSET
    code: int | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        object_ = self.object_

        request_id = self.request_id

        raw_status_code = self.raw_status_code

        type_ = self.type_

        param: None | str | Unset
        if isinstance(self.param, Unset):
            param = UNSET
        else:
            param = self.param

        code: int | None | str | Unset
        if isinstance(self.code, Unset):
            code = UNSET
        else:
            code = self.code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "message": message,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if raw_status_code is not UNSET:
            field_dict["raw_status_code"] = raw_status_code
        if type_ is not UNSET:
            field_dict["type"] = type_
        if param is not UNSET:
            field_dict["param"] = param
        if code is not UNSET:
            field_dict["code"] = code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message = d.pop("message")
        if not (isinstance(message, str)):
            raise TypeError(f"message: expected string, got {type(message).__name__}")

        object_ = cast(Literal["error"] | Unset, d.pop("object", UNSET))
        if object_ != "error" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'error', got '{object_}'")

        request_id = d.pop("request_id", UNSET)
        if not (isinstance(request_id, str) or isinstance(request_id, Unset)):
            raise TypeError(f"request_id: expected string, got {type(request_id).__name__}")

        raw_status_code = d.pop("raw_status_code", UNSET)
        if isinstance(raw_status_code, float) and raw_status_code.is_integer():
            raw_status_code = int(raw_status_code)
        if not (
            (isinstance(raw_status_code, int) and not isinstance(raw_status_code, bool))
            or isinstance(raw_status_code, Unset)
        ):
            raise TypeError(f"raw_status_code: expected int, got {type(raw_status_code).__name__}")

        type_ = d.pop("type", UNSET)
        if not (isinstance(type_, str) or isinstance(type_, Unset)):
            raise TypeError(f"type: expected string, got {type(type_).__name__}")

        def _parse_param(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                param_type_0 = data
                if not (isinstance(param_type_0, str)):
                    raise TypeError(f"param_type_0: expected string, got {type(param_type_0).__name__}")

                return param_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"param: expected None | str, got {type(data).__name__}")
            param_type_1 = data
            if not (param_type_1 is None):
                raise TypeError(f"param_type_1: expected null, got {type(param_type_1).__name__}")

            return param_type_1

        param = _parse_param(d.pop("param", UNSET))

        def _parse_code(data: object) -> int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                code_type_0 = data
                if not (isinstance(code_type_0, str)):
                    raise TypeError(f"code_type_0: expected string, got {type(code_type_0).__name__}")

                return code_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not (
                    (isinstance(data, int) and not isinstance(data, bool))
                    or (isinstance(data, float) and data.is_integer())
                ):
                    raise TypeError()
                code_type_1 = data
                if isinstance(code_type_1, float) and code_type_1.is_integer():
                    code_type_1 = int(code_type_1)
                if not (isinstance(code_type_1, int) and not isinstance(code_type_1, bool)):
                    raise TypeError(f"code_type_1: expected int, got {type(code_type_1).__name__}")

                return code_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"code: expected int | None | str, got {type(data).__name__}")
            code_type_2 = data
            if not (code_type_2 is None):
                raise TypeError(f"code_type_2: expected null, got {type(code_type_2).__name__}")

            return code_type_2

        code = _parse_code(d.pop("code", UNSET))

        error_response = cls(
            message=message,
            object_=object_,
            request_id=request_id,
            raw_status_code=raw_status_code,
            type_=type_,
            param=param,
            code=code,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        error_response.additional_properties = additional_properties
        return error_response

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
