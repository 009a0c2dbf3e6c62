from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.ft_classifier_loss_function import FTClassifierLossFunction, check_ft_classifier_loss_function

T = TypeVar("T", bound="ClassifierTargetResult")


@_attrs_define
class ClassifierTargetResult:
    name: str
    labels: list[str]
    weight: float
    loss_function: FTClassifierLossFunction
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        labels = self.labels

        weight = self.weight

        loss_function: str = self.loss_function

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "labels": labels,
                "weight": weight,
                "loss_function": loss_function,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")
        if not (isinstance(name, str)):
            raise TypeError(f"name: expected string, got {type(name).__name__}")

        _labels = d.pop("labels")
        if not isinstance(_labels, list):
            raise TypeError(f"labels: expected array, got {type(_labels).__name__}")
        labels = []
        for labels_item_data in _labels:
            labels_item = labels_item_data
            if not (isinstance(labels_item, str)):
                raise TypeError(f"labels_item: expected string, got {type(labels_item).__name__}")

            labels.append(labels_item)

        weight = d.pop("weight")
        if not (isinstance(weight, (float, int)) and not isinstance(weight, bool)):
            raise TypeError(f"weight: expected number, got {type(weight).__name__}")

        loss_function = check_ft_classifier_loss_function(d.pop("loss_function"))

        classifier_target_result = cls(
            name=name,
            labels=labels,
            weight=weight,
            loss_function=loss_function,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        classifier_target_result.additional_properties = additional_properties
        return classifier_target_result

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
