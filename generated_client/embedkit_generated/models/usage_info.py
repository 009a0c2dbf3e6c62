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

    prompt_tokens: int = 0
    total_tokens: int = 0
    completion_tokens: int | Unset = 0
    prompt_audio_seconds: int | None | Unset = UNSET
    service_tier: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt_tokens = self.prompt_tokens

        total_tokens = self.total_tokens

        completion_tokens = self.completion_tokens

        prompt_audio_seconds: int | None | Unset
        if isinstance(self.prompt_audio_seconds, Unset):
            prompt_audio_seconds = UNSET
        else:
            prompt_audio_seconds = self.prompt_audio_seconds

        service_tier: None | str | Unset
        if isinstance(self.service_tier, Unset):
            service_tier = UNSET
        else:
            service_tier = self.service_tier

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
        if prompt_audio_seconds is not UNSET:
            field_dict["prompt_audio_seconds"] = prompt_audio_seconds
        if service_tier is not UNSET:
            field_dict["service_tier"] = service_tier

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

        def _parse_prompt_audio_seconds(data: object) -> int | None | Unset:
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
                prompt_audio_seconds_type_0 = data
                if isinstance(prompt_audio_seconds_type_0, float) and prompt_audio_seconds_type_0.is_integer():
                    prompt_audio_seconds_type_0 = int(prompt_audio_seconds_type_0)
                if not (
                    isinstance(prompt_audio_seconds_type_0, int) and not isinstance(prompt_audio_seconds_type_0, bool)
                ):
                    raise TypeError(
                        f"prompt_audio_seconds_type_0: expected int, got {type(prompt_audio_seconds_type_0).__name__}"
                    )

                return prompt_audio_seconds_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"prompt_audio_seconds: expected int | None, got {type(data).__name__}")
            prompt_audio_seconds_type_1 = data
            if not (prompt_audio_seconds_type_1 is None):
                raise TypeError(
                    f"prompt_audio_seconds_type_1: expected null, got {type(prompt_audio_seconds_type_1).__name__}"
                )

            return prompt_audio_seconds_type_1

        prompt_audio_seconds = _parse_prompt_audio_seconds(d.pop("prompt_audio_seconds", UNSET))

        def _parse_service_tier(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                service_tier_type_0 = data
                if not (isinstance(service_tier_type_0, str)):
                    raise TypeError(f"service_tier_type_0: expected string, got {type(service_tier_type_0).__name__}")

                return service_tier_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"service_tier: expected None | str, got {type(data).__name__}")
            service_tier_type_1 = data
            if not (service_tier_type_1 is None):
                raise TypeError(f"service_tier_type_1: expected null, got {type(service_tier_type_1).__name__}")

            return service_tier_type_1

        service_tier = _parse_service_tier(d.pop("service_tier", UNSET))

        usage_info = cls(
            prompt_tokens=prompt_tokens,
            total_tokens=total_tokens,
            completion_tokens=completion_tokens,
            prompt_audio_seconds=prompt_audio_seconds,
            service_tier=service_tier,
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
