from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.validation_error_context import ValidationErrorContext


T = TypeVar("T", bound="ValidationError")


@_attrs_define
class ValidationError:
    loc: list[int | str]
    msg: str
    type_: str
    input_: Any | Unset = UNSET
    ctx: ValidationErrorContext | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        loc = []
        for loc_item_data in self.loc:
            loc_item: int | str
            loc_item = loc_item_data
            loc.append(loc_item)

        msg = self.msg

        type_ = self.type_

        input_ = self.input_

        ctx: dict[str, Any] | Unset = UNSET
        if not isinstance(self.ctx, Unset):
            ctx = self.ctx.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "loc": loc,
                "msg": msg,
                "type": type_,
            }
        )
        if input_ is not UNSET:
            field_dict["input"] = input_
        if ctx is not UNSET:
            field_dict["ctx"] = ctx

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.validation_error_context import ValidationErrorContext  # noqa: PLC0415

        d = dict(src_dict)
        _loc = d.pop("loc")
        if not isinstance(_loc, list):
            raise TypeError(f"loc: expected array, got {type(_loc).__name__}")
        loc = []
        for loc_item_data in _loc:

            def _parse_loc_item(data: object) -> int | str:
                try:
                    if not isinstance(data, str):
                        raise TypeError()
                    loc_item_type_0 = data
                    if not (isinstance(loc_item_type_0, str)):
                        raise TypeError(f"loc_item_type_0: expected string, got {type(loc_item_type_0).__name__}")

                    return loc_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not (
                    (isinstance(data, int) and not isinstance(data, bool))
                    or (isinstance(data, float) and data.is_integer())
                ):
                    raise TypeError(f"loc_item: expected int | str, got {type(data).__name__}")
                loc_item_type_1 = data
                if isinstance(loc_item_type_1, float) and loc_item_type_1.is_integer():
                    loc_item_type_1 = int(loc_item_type_1)
                if not (isinstance(loc_item_type_1, int) and not isinstance(loc_item_type_1, bool)):
                    raise TypeError(f"loc_item_type_1: expected int, got {type(loc_item_type_1).__name__}")

                return loc_item_type_1

            loc_item = _parse_loc_item(loc_item_data)

            loc.append(loc_item)

        msg = d.pop("msg")
        if not (isinstance(msg, str)):
            raise TypeError(f"msg: expected string, got {type(msg).__name__}")

        type_ = d.pop("type")
        if not (isinstance(type_, str)):
            raise TypeError(f"type: expected string, got {type(type_).__name__}")

        input_ = d.pop("input", UNSET)

        _ctx = d.pop("ctx", UNSET)
        ctx: ValidationErrorContext | Unset
        if isinstance(_ctx, Unset):
            ctx = UNSET
        elif not isinstance(_ctx, dict):
            raise TypeError(f"ctx: expected object, got {type(_ctx).__name__}")
        else:
            ctx = ValidationErrorContext.from_dict(_ctx)

        validation_error = cls(
            loc=loc,
            msg=msg,
            type_=type_,
            input_=input_,
            ctx=ctx,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        validation_error.additional_properties = additional_properties
        return validation_error

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
