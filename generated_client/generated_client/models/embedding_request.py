from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.encoding_format import EncodingFormat, check_encoding_format
from ..models.output_dtype import OutputDtype, check_output_dtype
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0


T = TypeVar("T", bound="EmbeddingRequest")


@_attrs_define
class EmbeddingRequest:
    """A Mistral embeddings request. Unknown keys are rejected, as Mistral's service does."""

    model: str
    """ The embedding model, e.g. `mistral-embed` (1024 dimensions) or `codestral-embed`. """
    input_: list[str] | str
    """ One text, or a batch of texts. (Mistral's official SDK names this argument `inputs`; on the wire it is
    `input`.)
     """
    output_dimension: int | None | Unset = UNSET
    """ The number of dimensions of each vector, where the model allows a choice (codestral-embed: default
    1536, at most 3072; the leading dimensions are the most relevant). Null means the model's default.
     """
    output_dtype: OutputDtype | Unset = "float"
    """ The numeric type of each vector component. `int8`/`uint8` quantise each component to one byte;
    `binary`/`ubinary` pack eight components into one byte (signed and unsigned), so a vector of
    `output_dimension` components has `output_dimension / 8` values.
     """
    encoding_format: EncodingFormat | Unset = "float"
    """ How each vector is sent. `float`: a JSON array of numbers. `base64`: a base64 string of the vector's
    little-endian bytes in the requested dtype (float32 for `output_dtype: float`), about ten times cheaper
    to parse. (cortecs' page leaves the values blank; these are the OpenAI-compatible ones both services use.)
    Mistral is reported to ignore `base64` and answer floats; clients must accept either.
     """
    metadata: EmbeddingRequestMetadataType0 | None | Unset = UNSET
    """ Free-form metadata; the service documents no meaning for it. """

    def to_dict(self) -> dict[str, Any]:
        from ..models.embedding_request_metadata_type_0 import EmbeddingRequestMetadataType0  # noqa: PLC0415

        model = self.model

        input_: list[str] | str
        if isinstance(self.input_, list):
            input_ = self.input_

        else:
            input_ = self.input_

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

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, EmbeddingRequestMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "model": model,
                "input": input_,
            }
        )
        if output_dimension is not UNSET:
            field_dict["output_dimension"] = output_dimension
        if output_dtype is not UNSET:
            field_dict["output_dtype"] = output_dtype
        if encoding_format is not UNSET:
            field_dict["encoding_format"] = encoding_format
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

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
                componentsschemas_embedding_input_type_0 = data
                if not (isinstance(componentsschemas_embedding_input_type_0, str)):
                    raise TypeError(
                        f"EmbeddingInput_type_0: expected string, got {type(componentsschemas_embedding_input_type_0).__name__}"
                    )

                return componentsschemas_embedding_input_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, list):
                raise TypeError(f"input: expected list[str] | str, got {type(data).__name__}")
            _componentsschemas_embedding_input_type_1 = data
            if not isinstance(_componentsschemas_embedding_input_type_1, list):
                raise TypeError(
                    f"EmbeddingInput_type_1: expected array, got {type(_componentsschemas_embedding_input_type_1).__name__}"
                )
            componentsschemas_embedding_input_type_1 = []
            for componentsschemas_embedding_input_type_1_item_data in _componentsschemas_embedding_input_type_1:
                componentsschemas_embedding_input_type_1_item = componentsschemas_embedding_input_type_1_item_data
                if not (isinstance(componentsschemas_embedding_input_type_1_item, str)):
                    raise TypeError(
                        f"EmbeddingInput_type_1_item: expected string, got {type(componentsschemas_embedding_input_type_1_item).__name__}"
                    )

                componentsschemas_embedding_input_type_1.append(componentsschemas_embedding_input_type_1_item)

            return componentsschemas_embedding_input_type_1

        input_ = _parse_input_(d.pop("input"))

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
        output_dtype: OutputDtype | Unset
        if isinstance(_output_dtype, Unset):
            output_dtype = UNSET
        else:
            output_dtype = check_output_dtype(_output_dtype)

        _encoding_format = d.pop("encoding_format", UNSET)
        encoding_format: EncodingFormat | Unset
        if isinstance(_encoding_format, Unset):
            encoding_format = UNSET
        else:
            encoding_format = check_encoding_format(_encoding_format)

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

        embedding_request = cls(
            model=model,
            input_=input_,
            output_dimension=output_dimension,
            output_dtype=output_dtype,
            encoding_format=encoding_format,
            metadata=metadata,
        )

        return embedding_request
