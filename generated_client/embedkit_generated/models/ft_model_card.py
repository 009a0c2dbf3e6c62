from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.model_capabilities import ModelCapabilities


T = TypeVar("T", bound="FTModelCard")


@_attrs_define
class FTModelCard:
    id: str
    capabilities: ModelCapabilities
    job: str
    root: str
    object_: str | Unset = "model"
    created: int | Unset = UNSET
    owned_by: str | Unset = "mistralai"
    name: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    max_context_length: int | Unset = 32768
    aliases: list[str] | Unset = UNSET
    deprecation: datetime.datetime | None | Unset = UNSET
    deprecation_replacement_model: None | str | Unset = UNSET
    default_model_temperature: float | None | Unset = UNSET
    internal: bool | Unset = False
    type_: Literal["fine-tuned"] | Unset = "fine-tuned"
    archived: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        capabilities = self.capabilities.to_dict()

        job = self.job

        root = self.root

        object_ = self.object_

        created = self.created

        owned_by = self.owned_by

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        max_context_length = self.max_context_length

        aliases: list[str] | Unset = UNSET
        if not isinstance(self.aliases, Unset):
            aliases = self.aliases

        deprecation: None | str | Unset
        if isinstance(self.deprecation, Unset):
            deprecation = UNSET
        elif isinstance(self.deprecation, datetime.datetime):
            deprecation = self.deprecation.isoformat()
        else:
            deprecation = self.deprecation

        deprecation_replacement_model: None | str | Unset
        if isinstance(self.deprecation_replacement_model, Unset):
            deprecation_replacement_model = UNSET
        else:
            deprecation_replacement_model = self.deprecation_replacement_model

        default_model_temperature: float | None | Unset
        if isinstance(self.default_model_temperature, Unset):
            default_model_temperature = UNSET
        else:
            default_model_temperature = self.default_model_temperature

        internal = self.internal

        type_ = self.type_

        archived = self.archived

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "capabilities": capabilities,
                "job": job,
                "root": root,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_
        if created is not UNSET:
            field_dict["created"] = created
        if owned_by is not UNSET:
            field_dict["owned_by"] = owned_by
        if name is not UNSET:
            field_dict["name"] = name
        if description is not UNSET:
            field_dict["description"] = description
        if max_context_length is not UNSET:
            field_dict["max_context_length"] = max_context_length
        if aliases is not UNSET:
            field_dict["aliases"] = aliases
        if deprecation is not UNSET:
            field_dict["deprecation"] = deprecation
        if deprecation_replacement_model is not UNSET:
            field_dict["deprecation_replacement_model"] = deprecation_replacement_model
        if default_model_temperature is not UNSET:
            field_dict["default_model_temperature"] = default_model_temperature
        if internal is not UNSET:
            field_dict["internal"] = internal
        if type_ is not UNSET:
            field_dict["type"] = type_
        if archived is not UNSET:
            field_dict["archived"] = archived

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.model_capabilities import ModelCapabilities  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        _capabilities = d.pop("capabilities")
        if not isinstance(_capabilities, dict):
            raise TypeError(f"capabilities: expected object, got {type(_capabilities).__name__}")
        capabilities = ModelCapabilities.from_dict(_capabilities)

        job = d.pop("job")
        if not (isinstance(job, str)):
            raise TypeError(f"job: expected string, got {type(job).__name__}")

        root = d.pop("root")
        if not (isinstance(root, str)):
            raise TypeError(f"root: expected string, got {type(root).__name__}")

        object_ = d.pop("object", UNSET)
        if not (isinstance(object_, str) or isinstance(object_, Unset)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        created = d.pop("created", UNSET)
        if isinstance(created, float) and created.is_integer():
            created = int(created)
        if not ((isinstance(created, int) and not isinstance(created, bool)) or isinstance(created, Unset)):
            raise TypeError(f"created: expected int, got {type(created).__name__}")

        owned_by = d.pop("owned_by", UNSET)
        if not (isinstance(owned_by, str) or isinstance(owned_by, Unset)):
            raise TypeError(f"owned_by: expected string, got {type(owned_by).__name__}")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                name_type_0 = data
                if not (isinstance(name_type_0, str)):
                    raise TypeError(f"name_type_0: expected string, got {type(name_type_0).__name__}")

                return name_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"name: expected None | str, got {type(data).__name__}")
            name_type_1 = data
            if not (name_type_1 is None):
                raise TypeError(f"name_type_1: expected null, got {type(name_type_1).__name__}")

            return name_type_1

        name = _parse_name(d.pop("name", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                description_type_0 = data
                if not (isinstance(description_type_0, str)):
                    raise TypeError(f"description_type_0: expected string, got {type(description_type_0).__name__}")

                return description_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"description: expected None | str, got {type(data).__name__}")
            description_type_1 = data
            if not (description_type_1 is None):
                raise TypeError(f"description_type_1: expected null, got {type(description_type_1).__name__}")

            return description_type_1

        description = _parse_description(d.pop("description", UNSET))

        max_context_length = d.pop("max_context_length", UNSET)
        if isinstance(max_context_length, float) and max_context_length.is_integer():
            max_context_length = int(max_context_length)
        if not (
            (isinstance(max_context_length, int) and not isinstance(max_context_length, bool))
            or isinstance(max_context_length, Unset)
        ):
            raise TypeError(f"max_context_length: expected int, got {type(max_context_length).__name__}")

        _aliases = d.pop("aliases", UNSET)
        aliases: list[str] | Unset = UNSET
        if _aliases is not UNSET:
            if not isinstance(_aliases, list):
                raise TypeError(f"aliases: expected array, got {type(_aliases).__name__}")
            aliases = []
            for aliases_item_data in _aliases:
                aliases_item = aliases_item_data
                if not (isinstance(aliases_item, str)):
                    raise TypeError(f"aliases_item: expected string, got {type(aliases_item).__name__}")

                aliases.append(aliases_item)

        def _parse_deprecation(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deprecation_type_0 = datetime.datetime.fromisoformat(data)

                return deprecation_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"deprecation: expected None | str, got {type(data).__name__}")
            deprecation_type_1 = data
            if not (deprecation_type_1 is None):
                raise TypeError(f"deprecation_type_1: expected null, got {type(deprecation_type_1).__name__}")

            return deprecation_type_1

        deprecation = _parse_deprecation(d.pop("deprecation", UNSET))

        def _parse_deprecation_replacement_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deprecation_replacement_model_type_0 = data
                if not (isinstance(deprecation_replacement_model_type_0, str)):
                    raise TypeError(
                        f"deprecation_replacement_model_type_0: expected string, got {type(deprecation_replacement_model_type_0).__name__}"
                    )

                return deprecation_replacement_model_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"deprecation_replacement_model: expected None | str, got {type(data).__name__}")
            deprecation_replacement_model_type_1 = data
            if not (deprecation_replacement_model_type_1 is None):
                raise TypeError(
                    f"deprecation_replacement_model_type_1: expected null, got {type(deprecation_replacement_model_type_1).__name__}"
                )

            return deprecation_replacement_model_type_1

        deprecation_replacement_model = _parse_deprecation_replacement_model(
            d.pop("deprecation_replacement_model", UNSET)
        )

        def _parse_default_model_temperature(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not (isinstance(data, (float, int)) and not isinstance(data, bool)):
                    raise TypeError()
                default_model_temperature_type_0 = data
                if not (
                    isinstance(default_model_temperature_type_0, (float, int))
                    and not isinstance(default_model_temperature_type_0, bool)
                ):
                    raise TypeError(
                        f"default_model_temperature_type_0: expected number, got {type(default_model_temperature_type_0).__name__}"
                    )

                return default_model_temperature_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"default_model_temperature: expected float | None, got {type(data).__name__}")
            default_model_temperature_type_1 = data
            if not (default_model_temperature_type_1 is None):
                raise TypeError(
                    f"default_model_temperature_type_1: expected null, got {type(default_model_temperature_type_1).__name__}"
                )

            return default_model_temperature_type_1

        default_model_temperature = _parse_default_model_temperature(d.pop("default_model_temperature", UNSET))

        internal = d.pop("internal", UNSET)
        if not (isinstance(internal, bool) or isinstance(internal, Unset)):
            raise TypeError(f"internal: expected bool, got {type(internal).__name__}")

        type_ = cast(Literal["fine-tuned"] | Unset, d.pop("type", UNSET))
        if type_ != "fine-tuned" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'fine-tuned', got '{type_}'")

        archived = d.pop("archived", UNSET)
        if not (isinstance(archived, bool) or isinstance(archived, Unset)):
            raise TypeError(f"archived: expected bool, got {type(archived).__name__}")

        ft_model_card = cls(
            id=id,
            capabilities=capabilities,
            job=job,
            root=root,
            object_=object_,
            created=created,
            owned_by=owned_by,
            name=name,
            description=description,
            max_context_length=max_context_length,
            aliases=aliases,
            deprecation=deprecation,
            deprecation_replacement_model=deprecation_replacement_model,
            default_model_temperature=default_model_temperature,
            internal=internal,
            type_=type_,
            archived=archived,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        ft_model_card.additional_properties = additional_properties
        return ft_model_card

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
