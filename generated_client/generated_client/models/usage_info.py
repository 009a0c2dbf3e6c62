from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UsageInfo")


@_attrs_define
class UsageInfo:
    """Tokens counted for the request. Real responses carry extra keys (e.g. `request_count`), kept as
    additional properties; Mistral's reference example omits `completion_tokens`.

    """

    prompt_tokens: int
    total_tokens: int
    completion_tokens: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt_tokens = self.prompt_tokens

        total_tokens = self.total_tokens

        completion_tokens = self.completion_tokens

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt_tokens": prompt_tokens,
                "total_tokens": total_tokens,
            }
        )
        if completion_tokens is not UNSET:
            field_dict["completion_tokens"] = completion_tokens

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        prompt_tokens = d.pop("prompt_tokens")
        if isinstance(prompt_tokens, float) and prompt_tokens.is_integer():
            prompt_tokens = int(prompt_tokens)
        if not (isinstance(prompt_tokens, int) and not isinstance(prompt_tokens, bool)):
            raise TypeError(f"prompt_tokens: expected int, got {type(prompt_tokens).__name__}")

        total_tokens = d.pop("total_tokens")
        if isinstance(total_tokens, float) and total_tokens.is_integer():
            total_tokens = int(total_tokens)
        if not (isinstance(total_tokens, int) and not isinstance(total_tokens, bool)):
            raise TypeError(f"total_tokens: expected int, got {type(total_tokens).__name__}")

        completion_tokens = d.pop("completion_tokens", UNSET)
        if isinstance(completion_tokens, float) and completion_tokens.is_integer():
            completion_tokens = int(completion_tokens)
        if not (
            (isinstance(completion_tokens, int) and not isinstance(completion_tokens, bool))
            or isinstance(completion_tokens, Unset)
        ):
            raise TypeError(f"completion_tokens: expected int, got {type(completion_tokens).__name__}")

        usage_info = cls(
            prompt_tokens=prompt_tokens,
            total_tokens=total_tokens,
            completion_tokens=completion_tokens,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        usage_info.additional_properties = additional_properties
        return usage_info

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
