from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cortecs_pricing import CortecsPricing


T = TypeVar("T", bound="CortecsModelProvider")


@_attrs_define
class CortecsModelProvider:
    """A provider of a model. cortecs' document does not show the shape of `providers` items; this contract
    allows a name or an object. The reference server sends objects with these keys (its own choice);
    unknown keys are kept.

    """

    name: str
    eu_native: bool | Unset = UNSET
    quantized: bool | Unset = UNSET
    zero_data_retention: bool | Unset = UNSET
    pricing: CortecsPricing | Unset = UNSET
    """ A model's price at its cheapest provider. cortecs lists further keys beside these (kept as additional
    properties).
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        eu_native = self.eu_native

        quantized = self.quantized

        zero_data_retention = self.zero_data_retention

        pricing: dict[str, Any] | Unset = UNSET
        if not isinstance(self.pricing, Unset):
            pricing = self.pricing.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if eu_native is not UNSET:
            field_dict["eu_native"] = eu_native
        if quantized is not UNSET:
            field_dict["quantized"] = quantized
        if zero_data_retention is not UNSET:
            field_dict["zero_data_retention"] = zero_data_retention
        if pricing is not UNSET:
            field_dict["pricing"] = pricing

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cortecs_pricing import CortecsPricing  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")
        if not (isinstance(name, str)):
            raise TypeError(f"name: expected string, got {type(name).__name__}")

        eu_native = d.pop("eu_native", UNSET)
        if not (isinstance(eu_native, bool) or isinstance(eu_native, Unset)):
            raise TypeError(f"eu_native: expected bool, got {type(eu_native).__name__}")

        quantized = d.pop("quantized", UNSET)
        if not (isinstance(quantized, bool) or isinstance(quantized, Unset)):
            raise TypeError(f"quantized: expected bool, got {type(quantized).__name__}")

        zero_data_retention = d.pop("zero_data_retention", UNSET)
        if not (isinstance(zero_data_retention, bool) or isinstance(zero_data_retention, Unset)):
            raise TypeError(f"zero_data_retention: expected bool, got {type(zero_data_retention).__name__}")

        _pricing = d.pop("pricing", UNSET)
        pricing: CortecsPricing | Unset
        if isinstance(_pricing, Unset):
            pricing = UNSET
        elif not isinstance(_pricing, dict):
            raise TypeError(f"pricing: expected object, got {type(_pricing).__name__}")
        else:
            pricing = CortecsPricing.from_dict(_pricing)

        cortecs_model_provider = cls(
            name=name,
            eu_native=eu_native,
            quantized=quantized,
            zero_data_retention=zero_data_retention,
            pricing=pricing,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        cortecs_model_provider.additional_properties = additional_properties
        return cortecs_model_provider

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
