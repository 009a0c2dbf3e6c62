from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.base_model_card import BaseModelCard
    from ..models.ft_model_card import FTModelCard


T = TypeVar("T", bound="ModelList")


@_attrs_define
class ModelList:
    object_: str | Unset = "list"
    data: list[BaseModelCard | FTModelCard] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.base_model_card import BaseModelCard  # noqa: PLC0415

        object_ = self.object_

        data: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = []
            for data_item_data in self.data:
                data_item: dict[str, Any]
                if isinstance(data_item_data, BaseModelCard):
                    data_item = data_item_data.to_dict()
                else:
                    data_item = data_item_data.to_dict()

                data.append(data_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if object_ is not UNSET:
            field_dict["object"] = object_
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.base_model_card import BaseModelCard  # noqa: PLC0415
        from ..models.ft_model_card import FTModelCard  # noqa: PLC0415

        d = dict(src_dict)
        object_ = d.pop("object", UNSET)
        if not (isinstance(object_, str) or isinstance(object_, Unset)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        _data = d.pop("data", UNSET)
        data: list[BaseModelCard | FTModelCard] | Unset = UNSET
        if _data is not UNSET:
            if not isinstance(_data, list):
                raise TypeError(f"data: expected array, got {type(_data).__name__}")
            data = []
            for data_item_data in _data:

                def _parse_data_item(data: object) -> BaseModelCard | FTModelCard:
                    try:
                        if not isinstance(data, dict):
                            raise TypeError()
                        _data_item_type_0 = data
                        if not isinstance(_data_item_type_0, dict):
                            raise TypeError(
                                f"data_item_type_0: expected object, got {type(_data_item_type_0).__name__}"
                            )
                        data_item_type_0 = BaseModelCard.from_dict(_data_item_type_0)

                        return data_item_type_0
                    except (TypeError, ValueError, AttributeError, KeyError):
                        pass
                    if not isinstance(data, dict):
                        raise TypeError(f"data_item: expected dict[str, Any], got {type(data).__name__}")
                    _data_item_type_1 = data
                    if not isinstance(_data_item_type_1, dict):
                        raise TypeError(f"data_item_type_1: expected object, got {type(_data_item_type_1).__name__}")
                    data_item_type_1 = FTModelCard.from_dict(_data_item_type_1)

                    return data_item_type_1

                data_item = _parse_data_item(data_item_data)

                data.append(data_item)

        model_list = cls(
            object_=object_,
            data=data,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        model_list.additional_properties = additional_properties
        return model_list

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
