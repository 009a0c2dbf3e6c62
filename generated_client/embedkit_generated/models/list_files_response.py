from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.file_schema import FileSchema


T = TypeVar("T", bound="ListFilesResponse")


@_attrs_define
class ListFilesResponse:
    data: list[FileSchema]
    object_: str
    total: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        object_ = self.object_

        total: int | None | Unset
        if isinstance(self.total, Unset):
            total = UNSET
        else:
            total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "object": object_,
            }
        )
        if total is not UNSET:
            field_dict["total"] = total

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.file_schema import FileSchema  # noqa: PLC0415

        d = dict(src_dict)
        _data = d.pop("data")
        if not isinstance(_data, list):
            raise TypeError(f"data: expected array, got {type(_data).__name__}")
        data = []
        for data_item_data in _data:
            _data_item = data_item_data
            if not isinstance(_data_item, dict):
                raise TypeError(f"data_item: expected object, got {type(_data_item).__name__}")
            data_item = FileSchema.from_dict(_data_item)

            data.append(data_item)

        object_ = d.pop("object")
        if not (isinstance(object_, str)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        def _parse_total(data: object) -> int | None | Unset:
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
                total_type_0 = data
                if isinstance(total_type_0, float) and total_type_0.is_integer():
                    total_type_0 = int(total_type_0)
                if not (isinstance(total_type_0, int) and not isinstance(total_type_0, bool)):
                    raise TypeError(f"total_type_0: expected int, got {type(total_type_0).__name__}")

                return total_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"total: expected int | None, got {type(data).__name__}")
            total_type_1 = data
            if not (total_type_1 is None):
                raise TypeError(f"total_type_1: expected null, got {type(total_type_1).__name__}")

            return total_type_1

        total = _parse_total(d.pop("total", UNSET))

        list_files_response = cls(
            data=data,
            object_=object_,
            total=total,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        list_files_response.additional_properties = additional_properties
        return list_files_response

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
