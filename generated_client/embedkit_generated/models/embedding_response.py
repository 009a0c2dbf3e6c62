from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.embedding_response_data import EmbeddingResponseData
    from ..models.usage_info import UsageInfo


T = TypeVar("T", bound="EmbeddingResponse")


@_attrs_define
class EmbeddingResponse:
    id: str
    object_: str
    model: str
    usage: UsageInfo
    """ Tokens counted for the request. Real responses carry extra keys (e.g. `request_count`), kept as
    additional properties; Mistral's reference example omits `completion_tokens`.
     """
    data: list[EmbeddingResponseData]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        model = self.model

        usage = self.usage.to_dict()

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "model": model,
                "usage": usage,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.embedding_response_data import EmbeddingResponseData  # noqa: PLC0415
        from ..models.usage_info import UsageInfo  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        object_ = d.pop("object")
        if not (isinstance(object_, str)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        model = d.pop("model")
        if not (isinstance(model, str)):
            raise TypeError(f"model: expected string, got {type(model).__name__}")

        _usage = d.pop("usage")
        if not isinstance(_usage, dict):
            raise TypeError(f"usage: expected object, got {type(_usage).__name__}")
        usage = UsageInfo.from_dict(_usage)

        _data = d.pop("data")
        if not isinstance(_data, list):
            raise TypeError(f"data: expected array, got {type(_data).__name__}")
        data = []
        for data_item_data in _data:
            _data_item = data_item_data
            if not isinstance(_data_item, dict):
                raise TypeError(f"data_item: expected object, got {type(_data_item).__name__}")
            data_item = EmbeddingResponseData.from_dict(_data_item)

            data.append(data_item)

        embedding_response = cls(
            id=id,
            object_=object_,
            model=model,
            usage=usage,
            data=data,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        embedding_response.additional_properties = additional_properties
        return embedding_response

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
