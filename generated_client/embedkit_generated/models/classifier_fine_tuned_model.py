from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.classifier_target_result import ClassifierTargetResult
    from ..models.fine_tuned_model_capabilities import FineTunedModelCapabilities


T = TypeVar("T", bound="ClassifierFineTunedModel")


@_attrs_define
class ClassifierFineTunedModel:
    id: str
    created: int
    owned_by: str
    workspace_id: str
    root: str
    root_version: str
    archived: bool
    capabilities: FineTunedModelCapabilities
    classifier_targets: list[ClassifierTargetResult]
    object_: Literal["model"] | Unset = "model"
    name: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    max_context_length: int | Unset = 32768
    aliases: list[str] | Unset = UNSET
    job: None | Unset | UUID = UNSET
    model_type: Literal["classifier"] | Unset = "classifier"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        created = self.created

        owned_by = self.owned_by

        workspace_id = self.workspace_id

        root = self.root

        root_version = self.root_version

        archived = self.archived

        capabilities = self.capabilities.to_dict()

        classifier_targets = []
        for classifier_targets_item_data in self.classifier_targets:
            classifier_targets_item = classifier_targets_item_data.to_dict()
            classifier_targets.append(classifier_targets_item)

        object_ = self.object_

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        max_context_length = self.max_context_length

        aliases: list[str] | Unset = UNSET
        if not isinstance(self.aliases, Unset):
            aliases = self.aliases

        job: None | str | Unset
        if isinstance(self.job, Unset):
            job = UNSET
        elif isinstance(self.job, UUID):
            job = str(self.job)
        else:
            job = self.job

        model_type = self.model_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "created": created,
                "owned_by": owned_by,
                "workspace_id": workspace_id,
                "root": root,
                "root_version": root_version,
                "archived": archived,
                "capabilities": capabilities,
                "classifier_targets": classifier_targets,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_
        if name is not UNSET:
            field_dict["name"] = name
        if description is not UNSET:
            field_dict["description"] = description
        if max_context_length is not UNSET:
            field_dict["max_context_length"] = max_context_length
        if aliases is not UNSET:
            field_dict["aliases"] = aliases
        if job is not UNSET:
            field_dict["job"] = job
        if model_type is not UNSET:
            field_dict["model_type"] = model_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.classifier_target_result import ClassifierTargetResult  # noqa: PLC0415
        from ..models.fine_tuned_model_capabilities import FineTunedModelCapabilities  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")
        if not (isinstance(id, str)):
            raise TypeError(f"id: expected string, got {type(id).__name__}")

        created = d.pop("created")
        if isinstance(created, float) and created.is_integer():
            created = int(created)
        if not (isinstance(created, int) and not isinstance(created, bool)):
            raise TypeError(f"created: expected int, got {type(created).__name__}")

        owned_by = d.pop("owned_by")
        if not (isinstance(owned_by, str)):
            raise TypeError(f"owned_by: expected string, got {type(owned_by).__name__}")

        workspace_id = d.pop("workspace_id")
        if not (isinstance(workspace_id, str)):
            raise TypeError(f"workspace_id: expected string, got {type(workspace_id).__name__}")

        root = d.pop("root")
        if not (isinstance(root, str)):
            raise TypeError(f"root: expected string, got {type(root).__name__}")

        root_version = d.pop("root_version")
        if not (isinstance(root_version, str)):
            raise TypeError(f"root_version: expected string, got {type(root_version).__name__}")

        archived = d.pop("archived")
        if not (isinstance(archived, bool)):
            raise TypeError(f"archived: expected bool, got {type(archived).__name__}")

        _capabilities = d.pop("capabilities")
        if not isinstance(_capabilities, dict):
            raise TypeError(f"capabilities: expected object, got {type(_capabilities).__name__}")
        capabilities = FineTunedModelCapabilities.from_dict(_capabilities)

        _classifier_targets = d.pop("classifier_targets")
        if not isinstance(_classifier_targets, list):
            raise TypeError(f"classifier_targets: expected array, got {type(_classifier_targets).__name__}")
        classifier_targets = []
        for classifier_targets_item_data in _classifier_targets:
            _classifier_targets_item = classifier_targets_item_data
            if not isinstance(_classifier_targets_item, dict):
                raise TypeError(
                    f"classifier_targets_item: expected object, got {type(_classifier_targets_item).__name__}"
                )
            classifier_targets_item = ClassifierTargetResult.from_dict(_classifier_targets_item)

            classifier_targets.append(classifier_targets_item)

        object_ = cast(Literal["model"] | Unset, d.pop("object", UNSET))
        if object_ != "model" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'model', got '{object_}'")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                name_type_0 = data
                if not (isinstance(name_type_0, str)):
                    raise TypeError(f"name_type_0: expected string, got {type(name_type_0).__name__}")

                return name_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"name: expected None | str, got {type(data).__name__}")
            name_type_1 = data
            if not (name_type_1 is None):
                raise TypeError(f"name_type_1: expected null, got {type(name_type_1).__name__}")

            return name_type_1

        name = _parse_name(d.pop("name", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                description_type_0 = data
                if not (isinstance(description_type_0, str)):
                    raise TypeError(f"description_type_0: expected string, got {type(description_type_0).__name__}")

                return description_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"description: expected None | str, got {type(data).__name__}")
            description_type_1 = data
            if not (description_type_1 is None):
                raise TypeError(f"description_type_1: expected null, got {type(description_type_1).__name__}")

            return description_type_1

        description = _parse_description(d.pop("description", UNSET))

        max_context_length = d.pop("max_context_length", UNSET)
        if isinstance(max_context_length, float) and max_context_length.is_integer():
            max_context_length = int(max_context_length)
        if not (
            (isinstance(max_context_length, int) and not isinstance(max_context_length, bool))
            or isinstance(max_context_length, Unset)
        ):
            raise TypeError(f"max_context_length: expected int, got {type(max_context_length).__name__}")

        _aliases = d.pop("aliases", UNSET)
        aliases: list[str] | Unset = UNSET
        if _aliases is not UNSET:
            if not isinstance(_aliases, list):
                raise TypeError(f"aliases: expected array, got {type(_aliases).__name__}")
            aliases = []
            for aliases_item_data in _aliases:
                aliases_item = aliases_item_data
                if not (isinstance(aliases_item, str)):
                    raise TypeError(f"aliases_item: expected string, got {type(aliases_item).__name__}")

                aliases.append(aliases_item)

        def _parse_job(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                job_type_0 = UUID(data)

                return job_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"job: expected None | str, got {type(data).__name__}")
            job_type_1 = data
            if not (job_type_1 is None):
                raise TypeError(f"job_type_1: expected null, got {type(job_type_1).__name__}")

            return job_type_1

        job = _parse_job(d.pop("job", UNSET))

        model_type = cast(Literal["classifier"] | Unset, d.pop("model_type", UNSET))
        if model_type != "classifier" and not isinstance(model_type, Unset):
            raise ValueError(f"model_type must match const 'classifier', got '{model_type}'")

        classifier_fine_tuned_model = cls(
            id=id,
            created=created,
            owned_by=owned_by,
            workspace_id=workspace_id,
            root=root,
            root_version=root_version,
            archived=archived,
            capabilities=capabilities,
            classifier_targets=classifier_targets,
            object_=object_,
            name=name,
            description=description,
            max_context_length=max_context_length,
            aliases=aliases,
            job=job,
            model_type=model_type,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        classifier_fine_tuned_model.additional_properties = additional_properties
        return classifier_fine_tuned_model

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
