from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModelCapabilities")


@_attrs_define
class ModelCapabilities:
    completion_chat: bool | Unset = False
    function_calling: bool | Unset = False
    reasoning: bool | Unset = False
    completion_fim: bool | Unset = False
    fine_tuning: bool | Unset = False
    vision: bool | Unset = False
    ocr: bool | Unset = False
    classification: bool | Unset = False
    moderation: bool | Unset = False
    audio: bool | Unset = False
    audio_transcription: bool | Unset = False
    audio_transcription_realtime: bool | Unset = False
    audio_speech: bool | Unset = False
    unified_resources: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        completion_chat = self.completion_chat

        function_calling = self.function_calling

        reasoning = self.reasoning

        completion_fim = self.completion_fim

        fine_tuning = self.fine_tuning

        vision = self.vision

        ocr = self.ocr

        classification = self.classification

        moderation = self.moderation

        audio = self.audio

        audio_transcription = self.audio_transcription

        audio_transcription_realtime = self.audio_transcription_realtime

        audio_speech = self.audio_speech

        unified_resources = self.unified_resources

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if completion_chat is not UNSET:
            field_dict["completion_chat"] = completion_chat
        if function_calling is not UNSET:
            field_dict["function_calling"] = function_calling
        if reasoning is not UNSET:
            field_dict["reasoning"] = reasoning
        if completion_fim is not UNSET:
            field_dict["completion_fim"] = completion_fim
        if fine_tuning is not UNSET:
            field_dict["fine_tuning"] = fine_tuning
        if vision is not UNSET:
            field_dict["vision"] = vision
        if ocr is not UNSET:
            field_dict["ocr"] = ocr
        if classification is not UNSET:
            field_dict["classification"] = classification
        if moderation is not UNSET:
            field_dict["moderation"] = moderation
        if audio is not UNSET:
            field_dict["audio"] = audio
        if audio_transcription is not UNSET:
            field_dict["audio_transcription"] = audio_transcription
        if audio_transcription_realtime is not UNSET:
            field_dict["audio_transcription_realtime"] = audio_transcription_realtime
        if audio_speech is not UNSET:
            field_dict["audio_speech"] = audio_speech
        if unified_resources is not UNSET:
            field_dict["unified_resources"] = unified_resources

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        completion_chat = d.pop("completion_chat", UNSET)
        if not (isinstance(completion_chat, bool) or isinstance(completion_chat, Unset)):
            raise TypeError(f"completion_chat: expected bool, got {type(completion_chat).__name__}")

        function_calling = d.pop("function_calling", UNSET)
        if not (isinstance(function_calling, bool) or isinstance(function_calling, Unset)):
            raise TypeError(f"function_calling: expected bool, got {type(function_calling).__name__}")

        reasoning = d.pop("reasoning", UNSET)
        if not (isinstance(reasoning, bool) or isinstance(reasoning, Unset)):
            raise TypeError(f"reasoning: expected bool, got {type(reasoning).__name__}")

        completion_fim = d.pop("completion_fim", UNSET)
        if not (isinstance(completion_fim, bool) or isinstance(completion_fim, Unset)):
            raise TypeError(f"completion_fim: expected bool, got {type(completion_fim).__name__}")

        fine_tuning = d.pop("fine_tuning", UNSET)
        if not (isinstance(fine_tuning, bool) or isinstance(fine_tuning, Unset)):
            raise TypeError(f"fine_tuning: expected bool, got {type(fine_tuning).__name__}")

        vision = d.pop("vision", UNSET)
        if not (isinstance(vision, bool) or isinstance(vision, Unset)):
            raise TypeError(f"vision: expected bool, got {type(vision).__name__}")

        ocr = d.pop("ocr", UNSET)
        if not (isinstance(ocr, bool) or isinstance(ocr, Unset)):
            raise TypeError(f"ocr: expected bool, got {type(ocr).__name__}")

        classification = d.pop("classification", UNSET)
        if not (isinstance(classification, bool) or isinstance(classification, Unset)):
            raise TypeError(f"classification: expected bool, got {type(classification).__name__}")

        moderation = d.pop("moderation", UNSET)
        if not (isinstance(moderation, bool) or isinstance(moderation, Unset)):
            raise TypeError(f"moderation: expected bool, got {type(moderation).__name__}")

        audio = d.pop("audio", UNSET)
        if not (isinstance(audio, bool) or isinstance(audio, Unset)):
            raise TypeError(f"audio: expected bool, got {type(audio).__name__}")

        audio_transcription = d.pop("audio_transcription", UNSET)
        if not (isinstance(audio_transcription, bool) or isinstance(audio_transcription, Unset)):
            raise TypeError(f"audio_transcription: expected bool, got {type(audio_transcription).__name__}")

        audio_transcription_realtime = d.pop("audio_transcription_realtime", UNSET)
        if not (isinstance(audio_transcription_realtime, bool) or isinstance(audio_transcription_realtime, Unset)):
            raise TypeError(
                f"audio_transcription_realtime: expected bool, got {type(audio_transcription_realtime).__name__}"
            )

        audio_speech = d.pop("audio_speech", UNSET)
        if not (isinstance(audio_speech, bool) or isinstance(audio_speech, Unset)):
            raise TypeError(f"audio_speech: expected bool, got {type(audio_speech).__name__}")

        unified_resources = d.pop("unified_resources", UNSET)
        if not (isinstance(unified_resources, bool) or isinstance(unified_resources, Unset)):
            raise TypeError(f"unified_resources: expected bool, got {type(unified_resources).__name__}")

        model_capabilities = cls(
            completion_chat=completion_chat,
            function_calling=function_calling,
            reasoning=reasoning,
            completion_fim=completion_fim,
            fine_tuning=fine_tuning,
            vision=vision,
            ocr=ocr,
            classification=classification,
            moderation=moderation,
            audio=audio,
            audio_transcription=audio_transcription,
            audio_transcription_realtime=audio_transcription_realtime,
            audio_speech=audio_speech,
            unified_resources=unified_resources,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        model_capabilities.additional_properties = additional_properties
        return model_capabilities

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
