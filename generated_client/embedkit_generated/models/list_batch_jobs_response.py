from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_job import BatchJob


T = TypeVar("T", bound="ListBatchJobsResponse")


@_attrs_define
class ListBatchJobsResponse:
    total: int
    data: list[BatchJob] | Unset = UNSET
    object_: Literal["list"] | Unset = "list"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        total = self.total

        data: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = []
            for data_item_data in self.data:
                data_item = data_item_data.to_dict()
                data.append(data_item)

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "total": total,
            }
        )
        if data is not UNSET:
            field_dict["data"] = data
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_job import BatchJob  # noqa: PLC0415

        d = dict(src_dict)
        total = d.pop("total")
        if isinstance(total, float) and total.is_integer():
            total = int(total)
        if not (isinstance(total, int) and not isinstance(total, bool)):
            raise TypeError(f"total: expected int, got {type(total).__name__}")

        _data = d.pop("data", UNSET)
        data: list[BatchJob] | Unset = UNSET
        if _data is not UNSET:
            if not isinstance(_data, list):
                raise TypeError(f"data: expected array, got {type(_data).__name__}")
            data = []
            for data_item_data in _data:
                _data_item = data_item_data
                if not isinstance(_data_item, dict):
                    raise TypeError(f"data_item: expected object, got {type(_data_item).__name__}")
                data_item = BatchJob.from_dict(_data_item)

                data.append(data_item)

        object_ = cast(Literal["list"] | Unset, d.pop("object", UNSET))
        if object_ != "list" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'list', got '{object_}'")

        list_batch_jobs_response = cls(
            total=total,
            data=data,
            object_=object_,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        list_batch_jobs_response.additional_properties = additional_properties
        return list_batch_jobs_response

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
