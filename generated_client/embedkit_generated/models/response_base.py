from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.usage_info import UsageInfo


T = TypeVar("T", bound="ResponseBase")


@_attrs_define
class ResponseBase:
    id: str | Unset = UNSET
    object_: str | Unset = UNSET
    model: str | Unset = UNSET
    usage: UsageInfo | Unset = UNSET
    """ Tokens counted for the request. Real responses carry extra keys (e.g. `request_count`), kept as
    additional properties; Mistral's reference example omits `completion_tokens`.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        model = self.model

        usage: dict[str, Any] | Unset = UNSET
        if not isinstance(self.usage, Unset):
            usage = self.usage.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if object_ is not UNSET:
            field_dict["object"] = object_
        if model is not UNSET:
            field_dict["model"] = model
        if usage is not UNSET:
            field_dict["usage"] = usage

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_info import UsageInfo  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id", UNSET)
        if not (isinstance(id, str) or isinstance(id, Unset)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        object_ = d.pop("object", UNSET)
        if not (isinstance(object_, str) or isinstance(object_, Unset)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        model = d.pop("model", UNSET)
        if not (isinstance(model, str) or isinstance(model, Unset)):
            raise TypeError(f"model: expected string, got {type(model).__name__}")

        _usage = d.pop("usage", UNSET)
        usage: UsageInfo | Unset
        if isinstance(_usage, Unset):
            usage = UNSET
        elif not isinstance(_usage, dict):
            raise TypeError(f"usage: expected object, got {type(_usage).__name__}")
        else:
            usage = UsageInfo.from_dict(_usage)

        response_base = cls(
            id=id,
            object_=object_,
            model=model,
            usage=usage,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        response_base.additional_properties = additional_properties
        return response_base

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
