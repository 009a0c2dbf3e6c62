from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.batch_line_response_body import BatchLineResponseBody


T = TypeVar("T", bound="BatchLineResponse")


@_attrs_define
class BatchLineResponse:
    """What the endpoint answered to one line."""

    status_code: int
    body: BatchLineResponseBody
    """ The endpoint's answer (`EmbeddingResponse` for 200, an error body otherwise). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status_code = self.status_code

        body = self.body.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status_code": status_code,
                "body": body,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_line_response_body import BatchLineResponseBody  # noqa: PLC0415

        d = dict(src_dict)
        status_code = d.pop("status_code")
        if isinstance(status_code, float) and status_code.is_integer():
            status_code = int(status_code)
        if not (isinstance(status_code, int) and not isinstance(status_code, bool)):
            raise TypeError(f"status_code: expected int, got {type(status_code).__name__}")

        _body = d.pop("body")
        if not isinstance(_body, dict):
            raise TypeError(f"body: expected object, got {type(_body).__name__}")
        body = BatchLineResponseBody.from_dict(_body)

        batch_line_response = cls(
            status_code=status_code,
            body=body,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        batch_line_response.additional_properties = additional_properties
        return batch_line_response

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
