from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.encoding_format import EncodingFormat, check_encoding_format
from ..models.preference import Preference, check_preference
from ..types import UNSET, Unset

T = TypeVar("T", bound="CortecsEmbeddingRequest")


@_attrs_define
class CortecsEmbeddingRequest:
    """A request to cortecs' current embeddings route: the older route's fields plus zero-data-retention routing
    and model fallback. Further keys are passed on to the provider (cortecs: "you may include other
    parameters as required"), so they are allowed here.

    """

    model: str
    """ The model to use for the embedding. """
    input_: list[str] | str
    """ One text, or a batch of texts. (Mistral's official SDK names this argument `inputs`; on the wire it is
    `input`.)
     """
    preference: Preference | Unset = "balanced"
    """ What cortecs optimises when it picks a provider. """
    allowed_providers: list[str] | None | Unset = UNSET
    """ The providers that may serve the request; null or absent allows every provider. """
    eu_native: bool | None | Unset = False
    """ Whether to consider only providers based and regulated within the EU. Even when false, all cortecs
    endpoints are GDPR compliant.
     """
    allow_quantization: bool | None | Unset = True
    """ Whether quantized endpoints may serve the request. """
    encoding_format: EncodingFormat | Unset = "float"
    allow_zero_data_retention: bool | None | Unset = UNSET
    """ Whether to use only providers that keep no data (zero data retention). Null or absent means false. """
    enable_model_fallback: bool | None | Unset = UNSET
    """ Whether another model may serve the request when `model` is unavailable (no provider of it
    satisfies the routing fields). Null or absent means false.
     """
    fallbacks: list[str] | None | Unset = UNSET
    """ The models to fall back to, in order, when `enable_model_fallback` is true; the first that can
    be served is used, and the response's `model` names it. Vectors of another model are not
    comparable with `model`'s.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        input_: list[str] | str
        if isinstance(self.input_, list):
            input_ = self.input_

        else:
            input_ = self.input_

        preference: str | Unset = UNSET
        if not isinstance(self.preference, Unset):
            preference = self.preference

        allowed_providers: list[str] | None | Unset
        if isinstance(self.allowed_providers, Unset):
            allowed_providers = UNSET
        elif isinstance(self.allowed_providers, list):
            allowed_providers = self.allowed_providers

        else:
            allowed_providers = self.allowed_providers

        eu_native: bool | None | Unset
        if isinstance(self.eu_native, Unset):
            eu_native = UNSET
        else:
            eu_native = self.eu_native

        allow_quantization: bool | None | Unset
        if isinstance(self.allow_quantization, Unset):
            allow_quantization = UNSET
        else:
            allow_quantization = self.allow_quantization

        encoding_format: str | Unset = UNSET
        if not isinstance(self.encoding_format, Unset):
            encoding_format = self.encoding_format

        allow_zero_data_retention: bool | None | Unset
        if isinstance(self.allow_zero_data_retention, Unset):
            allow_zero_data_retention = UNSET
        else:
            allow_zero_data_retention = self.allow_zero_data_retention

        enable_model_fallback: bool | None | Unset
        if isinstance(self.enable_model_fallback, Unset):
            enable_model_fallback = UNSET
        else:
            enable_model_fallback = self.enable_model_fallback

        fallbacks: list[str] | None | Unset
        if isinstance(self.fallbacks, Unset):
            fallbacks = UNSET
        elif isinstance(self.fallbacks, list):
            fallbacks = self.fallbacks

        else:
            fallbacks = self.fallbacks

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "input": input_,
            }
        )
        if preference is not UNSET:
            field_dict["preference"] = preference
        if allowed_providers is not UNSET:
            field_dict["allowed_providers"] = allowed_providers
        if eu_native is not UNSET:
            field_dict["eu_native"] = eu_native
        if allow_quantization is not UNSET:
            field_dict["allow_quantization"] = allow_quantization
        if encoding_format is not UNSET:
            field_dict["encoding_format"] = encoding_format
        if allow_zero_data_retention is not UNSET:
            field_dict["allow_zero_data_retention"] = allow_zero_data_retention
        if enable_model_fallback is not UNSET:
            field_dict["enable_model_fallback"] = enable_model_fallback
        if fallbacks is not UNSET:
            field_dict["fallbacks"] = fallbacks

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
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

        _preference = d.pop("preference", UNSET)
        preference: Preference | Unset
        if isinstance(_preference, Unset):
            preference = UNSET
        else:
            preference = check_preference(_preference)

        def _parse_allowed_providers(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _allowed_providers_type_0 = data
                if not isinstance(_allowed_providers_type_0, list):
                    raise TypeError(
                        f"allowed_providers_type_0: expected array, got {type(_allowed_providers_type_0).__name__}"
                    )
                allowed_providers_type_0 = []
                for allowed_providers_type_0_item_data in _allowed_providers_type_0:
                    allowed_providers_type_0_item = allowed_providers_type_0_item_data
                    if not (isinstance(allowed_providers_type_0_item, str)):
                        raise TypeError(
                            f"allowed_providers_type_0_item: expected string, got {type(allowed_providers_type_0_item).__name__}"
                        )

                    allowed_providers_type_0.append(allowed_providers_type_0_item)

                return allowed_providers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"allowed_providers: expected list[str] | None, got {type(data).__name__}")
            allowed_providers_type_1 = data
            if not (allowed_providers_type_1 is None):
                raise TypeError(
                    f"allowed_providers_type_1: expected null, got {type(allowed_providers_type_1).__name__}"
                )

            return allowed_providers_type_1

        allowed_providers = _parse_allowed_providers(d.pop("allowed_providers", UNSET))

        def _parse_eu_native(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, bool):
                    raise TypeError()
                eu_native_type_0 = data
                if not (isinstance(eu_native_type_0, bool)):
                    raise TypeError(f"eu_native_type_0: expected bool, got {type(eu_native_type_0).__name__}")

                return eu_native_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"eu_native: expected bool | None, got {type(data).__name__}")
            eu_native_type_1 = data
            if not (eu_native_type_1 is None):
                raise TypeError(f"eu_native_type_1: expected null, got {type(eu_native_type_1).__name__}")

            return eu_native_type_1

        eu_native = _parse_eu_native(d.pop("eu_native", UNSET))

        def _parse_allow_quantization(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, bool):
                    raise TypeError()
                allow_quantization_type_0 = data
                if not (isinstance(allow_quantization_type_0, bool)):
                    raise TypeError(
                        f"allow_quantization_type_0: expected bool, got {type(allow_quantization_type_0).__name__}"
                    )

                return allow_quantization_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"allow_quantization: expected bool | None, got {type(data).__name__}")
            allow_quantization_type_1 = data
            if not (allow_quantization_type_1 is None):
                raise TypeError(
                    f"allow_quantization_type_1: expected null, got {type(allow_quantization_type_1).__name__}"
                )

            return allow_quantization_type_1

        allow_quantization = _parse_allow_quantization(d.pop("allow_quantization", UNSET))

        _encoding_format = d.pop("encoding_format", UNSET)
        encoding_format: EncodingFormat | Unset
        if isinstance(_encoding_format, Unset):
            encoding_format = UNSET
        else:
            encoding_format = check_encoding_format(_encoding_format)

        def _parse_allow_zero_data_retention(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, bool):
                    raise TypeError()
                allow_zero_data_retention_type_0 = data
                if not (isinstance(allow_zero_data_retention_type_0, bool)):
                    raise TypeError(
                        f"allow_zero_data_retention_type_0: expected bool, got {type(allow_zero_data_retention_type_0).__name__}"
                    )

                return allow_zero_data_retention_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"allow_zero_data_retention: expected bool | None, got {type(data).__name__}")
            allow_zero_data_retention_type_1 = data
            if not (allow_zero_data_retention_type_1 is None):
                raise TypeError(
                    f"allow_zero_data_retention_type_1: expected null, got {type(allow_zero_data_retention_type_1).__name__}"
                )

            return allow_zero_data_retention_type_1

        allow_zero_data_retention = _parse_allow_zero_data_retention(d.pop("allow_zero_data_retention", UNSET))

        def _parse_enable_model_fallback(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, bool):
                    raise TypeError()
                enable_model_fallback_type_0 = data
                if not (isinstance(enable_model_fallback_type_0, bool)):
                    raise TypeError(
                        f"enable_model_fallback_type_0: expected bool, got {type(enable_model_fallback_type_0).__name__}"
                    )

                return enable_model_fallback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"enable_model_fallback: expected bool | None, got {type(data).__name__}")
            enable_model_fallback_type_1 = data
            if not (enable_model_fallback_type_1 is None):
                raise TypeError(
                    f"enable_model_fallback_type_1: expected null, got {type(enable_model_fallback_type_1).__name__}"
                )

            return enable_model_fallback_type_1

        enable_model_fallback = _parse_enable_model_fallback(d.pop("enable_model_fallback", UNSET))

        def _parse_fallbacks(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                _fallbacks_type_0 = data
                if not isinstance(_fallbacks_type_0, list):
                    raise TypeError(f"fallbacks_type_0: expected array, got {type(_fallbacks_type_0).__name__}")
                fallbacks_type_0 = []
                for fallbacks_type_0_item_data in _fallbacks_type_0:
                    fallbacks_type_0_item = fallbacks_type_0_item_data
                    if not (isinstance(fallbacks_type_0_item, str)):
                        raise TypeError(
                            f"fallbacks_type_0_item: expected string, got {type(fallbacks_type_0_item).__name__}"
                        )

                    fallbacks_type_0.append(fallbacks_type_0_item)

                return fallbacks_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not data is None:
                raise TypeError(f"fallbacks: expected list[str] | None, got {type(data).__name__}")
            fallbacks_type_1 = data
            if not (fallbacks_type_1 is None):
                raise TypeError(f"fallbacks_type_1: expected null, got {type(fallbacks_type_1).__name__}")

            return fallbacks_type_1

        fallbacks = _parse_fallbacks(d.pop("fallbacks", UNSET))

        cortecs_embedding_request = cls(
            model=model,
            input_=input_,
            preference=preference,
            allowed_providers=allowed_providers,
            eu_native=eu_native,
            allow_quantization=allow_quantization,
            encoding_format=encoding_format,
            allow_zero_data_retention=allow_zero_data_retention,
            enable_model_fallback=enable_model_fallback,
            fallbacks=fallbacks,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional = prop_dict

            additional_properties[prop_name] = additional

        cortecs_embedding_request.additional_properties = additional_properties
        return cortecs_embedding_request

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
