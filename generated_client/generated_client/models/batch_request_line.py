from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.batch_request_line_body import BatchRequestLineBody


T = TypeVar("T", bound="BatchRequestLine")


@_attrs_define
class BatchRequestLine:
    """One line of a batch input file (Mistral's documentation): `body` is the endpoint's request without
    `model`, e.g. `{"input": ["..."]}` for `/v1/embeddings`. `custom_id` comes back in the line's result.

    """

    custom_id: str
    body: BatchRequestLineBody
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        custom_id = self.custom_id

        body = self.body.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "custom_id": custom_id,
                "body": body,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_request_line_body import BatchRequestLineBody  # noqa: PLC0415

        d = dict(src_dict)
        custom_id = d.pop("custom_id")
        if not (isinstance(custom_id, str)):
            raise TypeError(f"custom_id: expected string, got {type(custom_id).__name__}")

        _body = d.pop("body")
        if not isinstance(_body, dict):
            raise TypeError(f"body: expected object, got {type(_body).__name__}")
        body = BatchRequestLineBody.from_dict(_body)

        batch_request_line = cls(
            custom_id=custom_id,
            body=body,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        batch_request_line.additional_properties = additional_properties
        return batch_request_line

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
