from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.validation_error import ValidationError


T = TypeVar("T", bound="HTTPValidationError")


@_attrs_define
class HTTPValidationError:
    """Every problem found in a request body. Since 2025-11 Mistral is reported to send `object`, `message` (the
    same list as `detail`), `type` and `code` (3001) beside `detail`; earlier bodies had `detail` only.

    """

    detail: list[ValidationError]
    object_: str | Unset = UNSET
    message: list[ValidationError] | Unset = UNSET
    type_: str | Unset = UNSET
    code: int | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        detail = []
        for detail_item_data in self.detail:
            detail_item = detail_item_data.to_dict()
            detail.append(detail_item)

        object_ = self.object_

        message: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.message, Unset):
            message = []
            for message_item_data in self.message:
                message_item = message_item_data.to_dict()
                message.append(message_item)

        type_ = self.type_

        code: int | None | str | Unset
        if isinstance(self.code, Unset):
            code = UNSET
        else:
            code = self.code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "detail": detail,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_
        if message is not UNSET:
            field_dict["message"] = message
        if type_ is not UNSET:
            field_dict["type"] = type_
        if code is not UNSET:
            field_dict["code"] = code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.validation_error import ValidationError  # noqa: PLC0415

        d = dict(src_dict)
        _detail = d.pop("detail")
        if not isinstance(_detail, list):
            raise TypeError(f"detail: expected array, got {type(_detail).__name__}")
        detail = []
        for detail_item_data in _detail:
            _detail_item = detail_item_data
            if not isinstance(_detail_item, dict):
                raise TypeError(f"detail_item: expected object, got {type(_detail_item).__name__}")
            detail_item = ValidationError.from_dict(_detail_item)

            detail.append(detail_item)

        object_ = d.pop("object", UNSET)
        if not (isinstance(object_, str) or isinstance(object_, Unset)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        _message = d.pop("message", UNSET)
        message: list[ValidationError] | Unset = UNSET
        if _message is not UNSET:
            if not isinstance(_message, list):
                raise TypeError(f"message: expected array, got {type(_message).__name__}")
            message = []
            for message_item_data in _message:
                _message_item = message_item_data
                if not isinstance(_message_item, dict):
                    raise TypeError(f"message_item: expected object, got {type(_message_item).__name__}")
                message_item = ValidationError.from_dict(_message_item)

                message.append(message_item)

        type_ = d.pop("type", UNSET)
        if not (isinstance(type_, str) or isinstance(type_, Unset)):
            raise TypeError(f"type: expected string, got {type(type_).__name__}")

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

        http_validation_error = cls(
            detail=detail,
            object_=object_,
            message=message,
            type_=type_,
            code=code,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        http_validation_error.additional_properties = additional_properties
        return http_validation_error

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
