from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CortecsPricing")


@_attrs_define
class CortecsPricing:
    """A model's price at its cheapest provider. cortecs lists further keys beside these (kept as additional
    properties).

    """

    input_token: float
    """ Price of one million input tokens. """
    output_token: float
    """ Price of one million output tokens (0 for embedding models). """
    currency: str
    """ ISO 4217 code, as asked with `currency`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_token = self.input_token

        output_token = self.output_token

        currency = self.currency

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input_token": input_token,
                "output_token": output_token,
                "currency": currency,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        input_token = d.pop("input_token")
        if not (isinstance(input_token, (float, int)) and not isinstance(input_token, bool)):
            raise TypeError(f"input_token: expected number, got {type(input_token).__name__}")

        output_token = d.pop("output_token")
        if not (isinstance(output_token, (float, int)) and not isinstance(output_token, bool)):
            raise TypeError(f"output_token: expected number, got {type(output_token).__name__}")

        currency = d.pop("currency")
        if not (isinstance(currency, str)):
            raise TypeError(f"currency: expected string, got {type(currency).__name__}")

        cortecs_pricing = cls(
            input_token=input_token,
            output_token=output_token,
            currency=currency,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        cortecs_pricing.additional_properties = additional_properties
        return cortecs_pricing

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
