from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.validation_detail import ValidationDetail


T = TypeVar("T", bound="LegacyValidationError")


@_attrs_define
class LegacyValidationError:
    """The older 422 body (reported): the problems nested in `message.detail`."""

    message: ValidationDetail
    """ The problems of a request body, as the older 422 body nests them. """
    object_: Literal["error"] | Unset = UNSET
    type_: str | Unset = UNSET
    param: None | str | Unset = UNSET
    code: int | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message.to_dict()

        object_ = self.object_

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
        if type_ is not UNSET:
            field_dict["type"] = type_
        if param is not UNSET:
            field_dict["param"] = param
        if code is not UNSET:
            field_dict["code"] = code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.validation_detail import ValidationDetail  # noqa: PLC0415

        d = dict(src_dict)
        _message = d.pop("message")
        if not isinstance(_message, dict):
            raise TypeError(f"message: expected object, got {type(_message).__name__}")
        message = ValidationDetail.from_dict(_message)

        object_ = cast(Literal["error"] | Unset, d.pop("object", UNSET))
        if object_ != "error" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'error', got '{object_}'")

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

        legacy_validation_error = cls(
            message=message,
            object_=object_,
            type_=type_,
            param=param,
            code=code,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        legacy_validation_error.additional_properties = additional_properties
        return legacy_validation_error

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
