from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_purpose import FilePurpose, check_file_purpose
from ..models.file_visibility import FileVisibility, check_file_visibility
from ..models.sample_type import SampleType, check_sample_type
from ..models.source import Source, check_source
from ..types import UNSET, Unset

T = TypeVar("T", bound="FileSchema")


@_attrs_define
class FileSchema:
    id: UUID
    object_: str
    bytes_: int
    created_at: int
    filename: str
    purpose: FilePurpose
    sample_type: SampleType
    source: Source
    num_lines: int | None | Unset = UNSET
    mimetype: None | str | Unset = UNSET
    signature: None | str | Unset = UNSET
    expires_at: int | None | Unset = UNSET
    visibility: FileVisibility | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        object_ = self.object_

        bytes_ = self.bytes_

        created_at = self.created_at

        filename = self.filename

        purpose: str = self.purpose

        sample_type: str = self.sample_type

        source: str = self.source

        num_lines: int | None | Unset
        if isinstance(self.num_lines, Unset):
            num_lines = UNSET
        else:
            num_lines = self.num_lines

        mimetype: None | str | Unset
        if isinstance(self.mimetype, Unset):
            mimetype = UNSET
        else:
            mimetype = self.mimetype

        signature: None | str | Unset
        if isinstance(self.signature, Unset):
            signature = UNSET
        else:
            signature = self.signature

        expires_at: int | None | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = self.expires_at

        visibility: None | str | Unset
        if isinstance(self.visibility, Unset):
            visibility = UNSET
        elif isinstance(self.visibility, str):
            visibility = self.visibility
        else:
            visibility = self.visibility

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object": object_,
                "bytes": bytes_,
                "created_at": created_at,
                "filename": filename,
                "purpose": purpose,
                "sample_type": sample_type,
                "source": source,
            }
        )
        if num_lines is not UNSET:
            field_dict["num_lines"] = num_lines
        if mimetype is not UNSET:
            field_dict["mimetype"] = mimetype
        if signature is not UNSET:
            field_dict["signature"] = signature
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if visibility is not UNSET:
            field_dict["visibility"] = visibility

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        object_ = d.pop("object")
        if not (isinstance(object_, str)):
            raise TypeError(f"object: expected string, got {type(object_).__name__}")

        bytes_ = d.pop("bytes")
        if isinstance(bytes_, float) and bytes_.is_integer():
            bytes_ = int(bytes_)
        if not (isinstance(bytes_, int) and not isinstance(bytes_, bool)):
            raise TypeError(f"bytes: expected int, got {type(bytes_).__name__}")

        created_at = d.pop("created_at")
        if isinstance(created_at, float) and created_at.is_integer():
            created_at = int(created_at)
        if not (isinstance(created_at, int) and not isinstance(created_at, bool)):
            raise TypeError(f"created_at: expected int, got {type(created_at).__name__}")

        filename = d.pop("filename")
        if not (isinstance(filename, str)):
            raise TypeError(f"filename: expected string, got {type(filename).__name__}")

        purpose = check_file_purpose(d.pop("purpose"))

        sample_type = check_sample_type(d.pop("sample_type"))

        source = check_source(d.pop("source"))

        def _parse_num_lines(data: object) -> int | None | Unset:
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
                num_lines_type_0 = data
                if isinstance(num_lines_type_0, float) and num_lines_type_0.is_integer():
                    num_lines_type_0 = int(num_lines_type_0)
                if not (isinstance(num_lines_type_0, int) and not isinstance(num_lines_type_0, bool)):
                    raise TypeError(f"num_lines_type_0: expected int, got {type(num_lines_type_0).__name__}")

                return num_lines_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"num_lines: expected int | None, got {type(data).__name__}")
            num_lines_type_1 = data
            if not (num_lines_type_1 is None):
                raise TypeError(f"num_lines_type_1: expected null, got {type(num_lines_type_1).__name__}")

            return num_lines_type_1

        num_lines = _parse_num_lines(d.pop("num_lines", UNSET))

        def _parse_mimetype(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                mimetype_type_0 = data
                if not (isinstance(mimetype_type_0, str)):
                    raise TypeError(f"mimetype_type_0: expected string, got {type(mimetype_type_0).__name__}")

                return mimetype_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"mimetype: expected None | str, got {type(data).__name__}")
            mimetype_type_1 = data
            if not (mimetype_type_1 is None):
                raise TypeError(f"mimetype_type_1: expected null, got {type(mimetype_type_1).__name__}")

            return mimetype_type_1

        mimetype = _parse_mimetype(d.pop("mimetype", UNSET))

        def _parse_signature(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                signature_type_0 = data
                if not (isinstance(signature_type_0, str)):
                    raise TypeError(f"signature_type_0: expected string, got {type(signature_type_0).__name__}")

                return signature_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"signature: expected None | str, got {type(data).__name__}")
            signature_type_1 = data
            if not (signature_type_1 is None):
                raise TypeError(f"signature_type_1: expected null, got {type(signature_type_1).__name__}")

            return signature_type_1

        signature = _parse_signature(d.pop("signature", UNSET))

        def _parse_expires_at(data: object) -> int | None | Unset:
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
                expires_at_type_0 = data
                if isinstance(expires_at_type_0, float) and expires_at_type_0.is_integer():
                    expires_at_type_0 = int(expires_at_type_0)
                if not (isinstance(expires_at_type_0, int) and not isinstance(expires_at_type_0, bool)):
                    raise TypeError(f"expires_at_type_0: expected int, got {type(expires_at_type_0).__name__}")

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"expires_at: expected int | None, got {type(data).__name__}")
            expires_at_type_1 = data
            if not (expires_at_type_1 is None):
                raise TypeError(f"expires_at_type_1: expected null, got {type(expires_at_type_1).__name__}")

            return expires_at_type_1

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_visibility(data: object) -> FileVisibility | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                visibility_type_0 = check_file_visibility(data)

                return visibility_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"visibility: expected None | str, got {type(data).__name__}")
            visibility_type_1 = data
            if not (visibility_type_1 is None):
                raise TypeError(f"visibility_type_1: expected null, got {type(visibility_type_1).__name__}")

            return visibility_type_1

        visibility = _parse_visibility(d.pop("visibility", UNSET))

        file_schema = cls(
            id=id,
            object_=object_,
            bytes_=bytes_,
            created_at=created_at,
            filename=filename,
            purpose=purpose,
            sample_type=sample_type,
            source=source,
            num_lines=num_lines,
            mimetype=mimetype,
            signature=signature,
            expires_at=expires_at,
            visibility=visibility,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        file_schema.additional_properties = additional_properties
        return file_schema

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
