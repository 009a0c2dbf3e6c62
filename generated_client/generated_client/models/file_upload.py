from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.file_purpose import FilePurpose, check_file_purpose
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="FileUpload")


@_attrs_define
class FileUpload:
    """The multipart form of an upload (Mistral's fields `file` and `purpose`; its `expiry` and `visibility` are
    not modelled). The file name sent with `file` is kept as `filename`.

    """

    file: File
    """ The file's bytes. """
    purpose: FilePurpose | Unset = "batch"
    """ What a file is for (Mistral's values); batch input files are `batch`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()

        purpose: str | Unset = UNSET
        if not isinstance(self.purpose, Unset):
            purpose = self.purpose

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "file": file,
            }
        )
        if purpose is not UNSET:
            field_dict["purpose"] = purpose

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.purpose, Unset):
            files.append(("purpose", (None, str(self.purpose).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        _purpose = d.pop("purpose", UNSET)
        purpose: FilePurpose | Unset
        if isinstance(_purpose, Unset):
            purpose = UNSET
        else:
            purpose = check_file_purpose(_purpose)

        file_upload = cls(
            file=file,
            purpose=purpose,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        file_upload.additional_properties = additional_properties
        return file_upload

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
