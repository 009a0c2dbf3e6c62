from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DeleteBatchJobResponse")


@_attrs_define
class DeleteBatchJobResponse:
    id: str
    object_: Literal["batch"] | Unset = "batch"
    deleted: bool | Unset = True
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        object_ = self.object_

        deleted = self.deleted

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_
        if deleted is not UNSET:
            field_dict["deleted"] = deleted

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        object_ = cast(Literal["batch"] | Unset, d.pop("object", UNSET))
        if object_ != "batch" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'batch', got '{object_}'")

        deleted = d.pop("deleted", UNSET)
        if not (isinstance(deleted, bool) or isinstance(deleted, Unset)):
            raise TypeError(f"deleted: expected bool, got {type(deleted).__name__}")

        delete_batch_job_response = cls(
            id=id,
            object_=object_,
            deleted=deleted,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        delete_batch_job_response.additional_properties = additional_properties
        return delete_batch_job_response

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
