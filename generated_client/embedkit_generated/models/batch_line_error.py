from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="BatchLineError")


@_attrs_define
class BatchLineError:
    """Why a line could not be sent at all (it is not JSON, or not a request line)."""

    message: str
    code: int | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message

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
        if code is not UNSET:
            field_dict["code"] = code

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message = d.pop("message")
        if not (isinstance(message, str)):
            raise TypeError(f"message: expected string, got {type(message).__name__}")

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

        batch_line_error = cls(
            message=message,
            code=code,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        batch_line_error.additional_properties = additional_properties
        return batch_line_error

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
