from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.cortecs_model import CortecsModel


T = TypeVar("T", bound="CortecsModelList")


@_attrs_define
class CortecsModelList:
    """cortecs' models."""

    object_: str
    data: list[CortecsModel]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        object_ = self.object_

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "object": object_,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cortecs_model import CortecsModel  # noqa: PLC0415

        d = dict(src_dict)
        object_ = d.pop("object")
        if not (isinstance(object_, str)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        _data = d.pop("data")
        if not isinstance(_data, list):
            raise TypeError(f"data: expected array, got {type(_data).__name__}")
        data = []
        for data_item_data in _data:
            _data_item = data_item_data
            if not isinstance(_data_item, dict):
                raise TypeError(f"data_item: expected object, got {type(_data_item).__name__}")
            data_item = CortecsModel.from_dict(_data_item)

            data.append(data_item)

        cortecs_model_list = cls(
            object_=object_,
            data=data,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        cortecs_model_list.additional_properties = additional_properties
        return cortecs_model_list

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
