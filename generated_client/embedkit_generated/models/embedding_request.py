from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.embedding_dtype import EmbeddingDtype, check_embedding_dtype
from ..models.encoding_format import EncodingFormat, check_encoding_format
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0


T = TypeVar("T", bound="EmbeddingRequest")


@_attrs_define
class EmbeddingRequest:
    model: str
    input_: list[str] | str
    metadata: EmbeddingRequestMetadataType0 | None | Unset = UNSET
    output_dimension: int | None | Unset = UNSET
    output_dtype: EmbeddingDtype | Unset = UNSET
    encoding_format: EncodingFormat | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0  # noqa: PLC0415

        model = self.model

        input_: list[str] | str
        if isinstance(self.input_, list):
            input_ = self.input_

        else:
            input_ = self.input_

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, EmbeddingRequestMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        output_dimension: int | None | Unset
        if isinstance(self.output_dimension, Unset):
            output_dimension = UNSET
        else:
            output_dimension = self.output_dimension

        output_dtype: str | Unset = UNSET
        if not isinstance(self.output_dtype, Unset):
            output_dtype = self.output_dtype

        encoding_format: str | Unset = UNSET
        if not isinstance(self.encoding_format, Unset):
            encoding_format = self.encoding_format

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "model": model,
                "input": input_,
            }
        )
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if output_dimension is not UNSET:
            field_dict["output_dimension"] = output_dimension
        if output_dtype is not UNSET:
            field_dict["output_dtype"] = output_dtype
        if encoding_format is not UNSET:
            field_dict["encoding_format"] = encoding_format

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        model = d.pop("model")
        if not (isinstance(model, str)):
            raise TypeError(f"model: expected string, got {type(model).__name__}")

        def _parse_input_(data: object) -> list[str] | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                input_type_0 = data
                if not (isinstance(input_type_0, str)):
                    raise TypeError(f"input_type_0: expected string, got {type(input_type_0).__name__}")

                return input_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, list):
                raise TypeError(f"input: expected list[str] | str, got {type(data).__name__}")
            _input_type_1 = data
            if not isinstance(_input_type_1, list):
                raise TypeError(f"input_type_1: expected array, got {type(_input_type_1).__name__}")
            input_type_1 = []
            for input_type_1_item_data in _input_type_1:
                input_type_1_item = input_type_1_item_data
                if not (isinstance(input_type_1_item, str)):
                    raise TypeError(f"input_type_1_item: expected string, got {type(input_type_1_item).__name__}")

                input_type_1.append(input_type_1_item)

            return input_type_1

        input_ = _parse_input_(d.pop("input"))

        def _parse_metadata(data: object) -> EmbeddingRequestMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                _metadata_type_0 = data
                if not isinstance(_metadata_type_0, dict):
                    raise TypeError(f"metadata_type_0: expected object, got {type(_metadata_type_0).__name__}")
                metadata_type_0 = EmbeddingRequestMetadataType0.from_dict(_metadata_type_0)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"metadata: expected dict[str, Any] | None, got {type(data).__name__}")
            metadata_type_1 = data
            if not (metadata_type_1 is None):
                raise TypeError(f"metadata_type_1: expected null, got {type(metadata_type_1).__name__}")

            return metadata_type_1

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_output_dimension(data: object) -> int | None | Unset:
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
                output_dimension_type_0 = data
                if isinstance(output_dimension_type_0, float) and output_dimension_type_0.is_integer():
                    output_dimension_type_0 = int(output_dimension_type_0)
                if not (isinstance(output_dimension_type_0, int) and not isinstance(output_dimension_type_0, bool)):
                    raise TypeError(
                        f"output_dimension_type_0: expected int, got {type(output_dimension_type_0).__name__}"
                    )

                return output_dimension_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"output_dimension: expected int | None, got {type(data).__name__}")
            output_dimension_type_1 = data
            if not (output_dimension_type_1 is None):
                raise TypeError(f"output_dimension_type_1: expected null, got {type(output_dimension_type_1).__name__}")

            return output_dimension_type_1

        output_dimension = _parse_output_dimension(d.pop("output_dimension", UNSET))

        _output_dtype = d.pop("output_dtype", UNSET)
        output_dtype: EmbeddingDtype | Unset
        if isinstance(_output_dtype, Unset):
            output_dtype = UNSET
        else:
            output_dtype = check_embedding_dtype(_output_dtype)

        _encoding_format = d.pop("encoding_format", UNSET)
        encoding_format: EncodingFormat | Unset
        if isinstance(_encoding_format, Unset):
            encoding_format = UNSET
        else:
            encoding_format = check_encoding_format(_encoding_format)

        embedding_request = cls(
            model=model,
            input_=input_,
            metadata=metadata,
            output_dimension=output_dimension,
            output_dtype=output_dtype,
            encoding_format=encoding_format,
        )

        return embedding_request
