from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_request_body import BatchRequestBody


T = TypeVar("T", bound="BatchRequest")


@_attrs_define
class BatchRequest:
    body: BatchRequestBody
    custom_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        body = self.body.to_dict()

        custom_id: None | str | Unset
        if isinstance(self.custom_id, Unset):
            custom_id = UNSET
        else:
            custom_id = self.custom_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "body": body,
            }
        )
        if custom_id is not UNSET:
            field_dict["custom_id"] = custom_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_request_body import BatchRequestBody  # noqa: PLC0415

        d = dict(src_dict)
        _body = d.pop("body")
        if not isinstance(_body, dict):
            raise TypeError(f"body: expected object, got {type(_body).__name__}")
        body = BatchRequestBody.from_dict(_body)

        def _parse_custom_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
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

        custom_id = _parse_custom_id(d.pop("custom_id", UNSET))

        batch_request = cls(
            body=body,
            custom_id=custom_id,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        batch_request.additional_properties = additional_properties
        return batch_request

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
