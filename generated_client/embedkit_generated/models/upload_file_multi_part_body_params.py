from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.file_purpose import FilePurpose, check_file_purpose
from ..models.file_visibility import FileVisibility, check_file_visibility
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="UploadFileMultiPartBodyParams")


@_attrs_define
class UploadFileMultiPartBodyParams:
    file: File
    expiry: int | None | Unset = UNSET
    purpose: FilePurpose | Unset = UNSET
    visibility: FileVisibility | Unset = "workspace"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()

        expiry: int | None | Unset
        if isinstance(self.expiry, Unset):
            expiry = UNSET
        else:
            expiry = self.expiry

        purpose: str | Unset = UNSET
        if not isinstance(self.purpose, Unset):
            purpose = self.purpose

        visibility: str | Unset = UNSET
        if not isinstance(self.visibility, Unset):
            visibility = self.visibility

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "file": file,
            }
        )
        if expiry is not UNSET:
            field_dict["expiry"] = expiry
        if purpose is not UNSET:
            field_dict["purpose"] = purpose
        if visibility is not UNSET:
            field_dict["visibility"] = visibility

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.expiry, Unset):
            if isinstance(self.expiry, int):
                files.append(("expiry", (None, str(self.expiry).encode(), "text/plain")))
            else:
                files.append(("expiry", (None, str(self.expiry).encode(), "text/plain")))

        if not isinstance(self.purpose, Unset):
            files.append(("purpose", (None, str(self.purpose).encode(), "text/plain")))

        if not isinstance(self.visibility, Unset):
            files.append(("visibility", (None, str(self.visibility).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        def _parse_expiry(data: object) -> int | None | Unset:
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
                expiry_type_0 = data
                if isinstance(expiry_type_0, float) and expiry_type_0.is_integer():
                    expiry_type_0 = int(expiry_type_0)
                if not (isinstance(expiry_type_0, int) and not isinstance(expiry_type_0, bool)):
                    raise TypeError(f"expiry_type_0: expected int, got {type(expiry_type_0).__name__}")

                return expiry_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"expiry: expected int | None, got {type(data).__name__}")
            expiry_type_1 = data
            if not (expiry_type_1 is None):
                raise TypeError(f"expiry_type_1: expected null, got {type(expiry_type_1).__name__}")

            return expiry_type_1

        expiry = _parse_expiry(d.pop("expiry", UNSET))

        _purpose = d.pop("purpose", UNSET)
        purpose: FilePurpose | Unset
        if isinstance(_purpose, Unset):
            purpose = UNSET
        else:
            purpose = check_file_purpose(_purpose)

        _visibility = d.pop("visibility", UNSET)
        visibility: FileVisibility | Unset
        if isinstance(_visibility, Unset):
            visibility = UNSET
        else:
            visibility = check_file_visibility(_visibility)

        upload_file_multi_part_body_params = cls(
            file=file,
            expiry=expiry,
            purpose=purpose,
            visibility=visibility,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        upload_file_multi_part_body_params.additional_properties = additional_properties
        return upload_file_multi_part_body_params

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
