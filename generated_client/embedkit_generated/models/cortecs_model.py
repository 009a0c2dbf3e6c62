from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cortecs_model_provider import CortecsModelProvider
    from ..models.cortecs_pricing import CortecsPricing


T = TypeVar("T", bound="CortecsModel")


@_attrs_define
class CortecsModel:
    """One model of cortecs' catalogue, with its price and providers. Unknown keys are kept."""

    id: str
    object_: str
    created: int
    owned_by: str
    pricing: CortecsPricing
    """ A model's price at its cheapest provider. cortecs lists further keys beside these (kept as additional
    properties).
     """
    providers: list[CortecsModelProvider | str]
    description: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.cortecs_model_provider import CortecsModelProvider  # noqa: PLC0415

        id = self.id

        object_ = self.object_

        created = self.created

        owned_by = self.owned_by

        pricing = self.pricing.to_dict()

        providers = []
        for providers_item_data in self.providers:
            providers_item: dict[str, Any] | str
            if isinstance(providers_item_data, CortecsModelProvider):
                providers_item = providers_item_data.to_dict()
            else:
                providers_item = providers_item_data
            providers.append(providers_item)

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "created": created,
                "owned_by": owned_by,
                "pricing": pricing,
                "providers": providers,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cortecs_model_provider import CortecsModelProvider  # noqa: PLC0415
        from ..models.cortecs_pricing import CortecsPricing  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        object_ = d.pop("object")
        if not (isinstance(object_, str)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        created = d.pop("created")
        if isinstance(created, float) and created.is_integer():
            created = int(created)
        if not (isinstance(created, int) and not isinstance(created, bool)):
            raise TypeError(f"created: expected int, got {type(created).__name__}")

        owned_by = d.pop("owned_by")
        if not (isinstance(owned_by, str)):
            raise TypeError(f"owned_by: expected string, got {type(owned_by).__name__}")

        _pricing = d.pop("pricing")
        if not isinstance(_pricing, dict):
            raise TypeError(f"pricing: expected object, got {type(_pricing).__name__}")
        pricing = CortecsPricing.from_dict(_pricing)

        _providers = d.pop("providers")
        if not isinstance(_providers, list):
            raise TypeError(f"providers: expected array, got {type(_providers).__name__}")
        providers = []
        for providers_item_data in _providers:

            def _parse_providers_item(data: object) -> CortecsModelProvider | str:
                try:
                    if not isinstance(data, str):
                        raise TypeError()
                    providers_item_type_0 = data
                    if not (isinstance(providers_item_type_0, str)):
                        raise TypeError(
                            f"providers_item_type_0: expected string, got {type(providers_item_type_0).__name__}"
                        )

                    return providers_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError(f"providers_item: expected dict[str, Any] | str, got {type(data).__name__}")
                _providers_item_type_1 = data
                if not isinstance(_providers_item_type_1, dict):
                    raise TypeError(
                        f"providers_item_type_1: expected object, got {type(_providers_item_type_1).__name__}"
                    )
                providers_item_type_1 = CortecsModelProvider.from_dict(_providers_item_type_1)

                return providers_item_type_1

            providers_item = _parse_providers_item(providers_item_data)

            providers.append(providers_item)

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

        cortecs_model = cls(
            id=id,
            object_=object_,
            created=created,
            owned_by=owned_by,
            pricing=pricing,
            providers=providers,
            description=description,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        cortecs_model.additional_properties = additional_properties
        return cortecs_model

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
