from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FineTunedModelCapabilities")


@_attrs_define
class FineTunedModelCapabilities:
    completion_chat: bool | Unset = True
    completion_fim: bool | Unset = False
    function_calling: bool | Unset = False
    fine_tuning: bool | Unset = False
    classification: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        completion_chat = self.completion_chat

        completion_fim = self.completion_fim

        function_calling = self.function_calling

        fine_tuning = self.fine_tuning

        classification = self.classification

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if completion_chat is not UNSET:
            field_dict["completion_chat"] = completion_chat
        if completion_fim is not UNSET:
            field_dict["completion_fim"] = completion_fim
        if function_calling is not UNSET:
            field_dict["function_calling"] = function_calling
        if fine_tuning is not UNSET:
            field_dict["fine_tuning"] = fine_tuning
        if classification is not UNSET:
            field_dict["classification"] = classification

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        completion_chat = d.pop("completion_chat", UNSET)
        if not (isinstance(completion_chat, bool) or isinstance(completion_chat, Unset)):
            raise TypeError(f"completion_chat: expected bool, got {type(completion_chat).__name__}")

        completion_fim = d.pop("completion_fim", UNSET)
        if not (isinstance(completion_fim, bool) or isinstance(completion_fim, Unset)):
            raise TypeError(f"completion_fim: expected bool, got {type(completion_fim).__name__}")

        function_calling = d.pop("function_calling", UNSET)
        if not (isinstance(function_calling, bool) or isinstance(function_calling, Unset)):
            raise TypeError(f"function_calling: expected bool, got {type(function_calling).__name__}")

        fine_tuning = d.pop("fine_tuning", UNSET)
        if not (isinstance(fine_tuning, bool) or isinstance(fine_tuning, Unset)):
            raise TypeError(f"fine_tuning: expected bool, got {type(fine_tuning).__name__}")

        classification = d.pop("classification", UNSET)
        if not (isinstance(classification, bool) or isinstance(classification, Unset)):
            raise TypeError(f"classification: expected bool, got {type(classification).__name__}")

        fine_tuned_model_capabilities = cls(
            completion_chat=completion_chat,
            completion_fim=completion_fim,
            function_calling=function_calling,
            fine_tuning=fine_tuning,
            classification=classification,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        fine_tuned_model_capabilities.additional_properties = additional_properties
        return fine_tuned_model_capabilities

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
