from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="EmbeddingData")


@_attrs_define
class EmbeddingData:
    """One vector and the position of the input it embeds."""

    object_: Literal["embedding"]
    embedding: list[float] | str
    """ One vector: an array of numbers with `encoding_format: float` (integers for the int8/uint8/binary/ubinary
    dtypes), or a base64 string of its little-endian bytes with `encoding_format: base64`. Mistral's own
    document allows only the array, which is wrong for base64.
     """
    index: int
    """ The position of the embedded text in the request's `input`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        object_ = self.object_

        embedding: list[float] | str
        if isinstance(self.embedding, list):
            embedding = self.embedding

        else:
            embedding = self.embedding

        index = self.index

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "object": object_,
                "embedding": embedding,
                "index": index,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        object_ = cast(Literal["embedding"], d.pop("object"))
        if object_ != "embedding":
            raise ValueError(f"object must match const 'embedding', got '{object_}'")

        def _parse_embedding(data: object) -> list[float] | str:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _componentsschemas_embedding_vector_type_0 = data
                if not isinstance(_componentsschemas_embedding_vector_type_0, list):
                    raise TypeError(
                        f"EmbeddingVector_type_0: expected array, got {type(_componentsschemas_embedding_vector_type_0).__name__}"
                    )
                componentsschemas_embedding_vector_type_0 = []
                for componentsschemas_embedding_vector_type_0_item_data in _componentsschemas_embedding_vector_type_0:
                    componentsschemas_embedding_vector_type_0_item = componentsschemas_embedding_vector_type_0_item_data
                    if not (
                        isinstance(componentsschemas_embedding_vector_type_0_item, (float, int))
                        and not isinstance(componentsschemas_embedding_vector_type_0_item, bool)
                    ):
                        raise TypeError(
                            f"EmbeddingVector_type_0_item: expected number, got {type(componentsschemas_embedding_vector_type_0_item).__name__}"
                        )

                    componentsschemas_embedding_vector_type_0.append(componentsschemas_embedding_vector_type_0_item)

                return componentsschemas_embedding_vector_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, str):
                raise TypeError(f"embedding: expected list[float] | str, got {type(data).__name__}")
            componentsschemas_embedding_vector_type_1 = data
            if not (isinstance(componentsschemas_embedding_vector_type_1, str)):
                raise TypeError(
                    f"EmbeddingVector_type_1: expected string, got {type(componentsschemas_embedding_vector_type_1).__name__}"
                )

            return componentsschemas_embedding_vector_type_1

        embedding = _parse_embedding(d.pop("embedding"))

        index = d.pop("index")
        if isinstance(index, float) and index.is_integer():
            index = int(index)
        if not (isinstance(index, int) and not isinstance(index, bool)):
            raise TypeError(f"index: expected int, got {type(index).__name__}")

        embedding_data = cls(
            object_=object_,
            embedding=embedding,
            index=index,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        embedding_data.additional_properties = additional_properties
        return embedding_data

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
