from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="EmbeddingResponseData")


@_attrs_define
class EmbeddingResponseData:
    """One vector and the position of the input it embeds."""

    object_: str
    index: int
    embedding: list[float] | str
    """ One vector: an array of numbers with `encoding_format: float` (integers for the int8/uint8/binary/ubinary
    dtypes), or a base64 string of its little-endian bytes with `encoding_format: base64`. Mistral's own
    document allows only the array, which is wrong for base64.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        object_ = self.object_

        index = self.index

        embedding: list[float] | str
        if isinstance(self.embedding, list):
            embedding = self.embedding

        else:
            embedding = self.embedding

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "object": object_,
                "index": index,
                "embedding": embedding,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        object_ = d.pop("object")
        if not (isinstance(object_, str)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        index = d.pop("index")
        if isinstance(index, float) and index.is_integer():
            index = int(index)
        if not (isinstance(index, int) and not isinstance(index, bool)):
            raise TypeError(f"index: expected int, got {type(index).__name__}")

        def _parse_embedding(data: object) -> list[float] | str:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _embedding_type_0 = data
                if not isinstance(_embedding_type_0, list):
                    raise TypeError(f"embedding_type_0: expected array, got {type(_embedding_type_0).__name__}")
                embedding_type_0 = []
                for embedding_type_0_item_data in _embedding_type_0:
                    embedding_type_0_item = embedding_type_0_item_data
                    if not (
                        isinstance(embedding_type_0_item, (float, int)) and not isinstance(embedding_type_0_item, bool)
                    ):
                        raise TypeError(
                            f"embedding_type_0_item: expected number, got {type(embedding_type_0_item).__name__}"
                        )

                    embedding_type_0.append(embedding_type_0_item)

                return embedding_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, str):
                raise TypeError(f"embedding: expected list[float] | str, got {type(data).__name__}")
            embedding_type_1 = data
            if not (isinstance(embedding_type_1, str)):
                raise TypeError(f"embedding_type_1: expected string, got {type(embedding_type_1).__name__}")

            return embedding_type_1

        embedding = _parse_embedding(d.pop("embedding"))

        embedding_response_data = cls(
            object_=object_,
            index=index,
            embedding=embedding,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        embedding_response_data.additional_properties = additional_properties
        return embedding_response_data

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
