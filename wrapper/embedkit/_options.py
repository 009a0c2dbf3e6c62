"""Every option of a call, from the constructor to `embed` (and the CLI): one definition, checked in one place.

`EmbedOptions` is what a caller may pass (typed, for editors and mypy); `Options` is what a request is built
from; `check_options` turns the one into the other, refusing anything that cannot be sent with an
`InputError` that names the option as the caller wrote it, before any request. The allowed values of the
enums come from the generated client, so they are those of openapi.yaml and nobody copies them by hand.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypedDict

from embedkit_generated.models.embedding_dtype import EMBEDDING_DTYPE_VALUES, EmbeddingDtype
from embedkit_generated.models.encoding_format import ENCODING_FORMAT_VALUES, EncodingFormat
from embedkit_generated.models.preference import PREFERENCE_VALUES, Preference

from ._errors import InputError, UnknownOptionError

if TYPE_CHECKING:
    from ._chunking import Chunking

# Far above any model's dimension (codestral-embed: at most 3072), low enough that a typo such as 10**30 is
# refused by name instead of surfacing as a numpy allocation error.
MAX_OUTPUT_DIMENSION = 65536


class EmbedOptions(TypedDict, total=False):
    """Per-call options of `embed`; request fields default to the client's, then to the service's.

    Request fields: `model`; Mistral `output_dimension`, `output_dtype`; cortecs `preference`,
    `allowed_providers`, `eu_native`, `allow_quantization`, and with its current API
    `allow_zero_data_retention`, `enable_model_fallback`, `fallbacks`; all `encoding_format` (base64 unless set).
    Call behaviour: `normalize` (unit-length float rows), `truncate` (cut over-long inputs instead of raising),
    `progress` (force the progress bar on or off), `deadline` (seconds the whole call may take: past it, a
    `DeadlineExceededError` carrying the rows that finished), `chunking` (split long inputs into chunks of
    tokens, one row per chunk, optionally pooled per document: see `_chunking.Chunking`).
    """

    model: str
    output_dimension: int
    output_dtype: EmbeddingDtype
    encoding_format: EncodingFormat
    preference: Preference
    allowed_providers: Sequence[str]
    eu_native: bool
    allow_quantization: bool
    allow_zero_data_retention: bool
    enable_model_fallback: bool
    fallbacks: Sequence[str]
    normalize: bool
    truncate: bool
    progress: bool
    deadline: float
    chunking: Chunking | int


@dataclass(frozen=True)
class Options:
    """Every request field of both services, checked; None means "the service's default"."""

    model: str | None = None
    output_dimension: int | None = None
    output_dtype: EmbeddingDtype | None = None
    encoding_format: EncodingFormat | None = None
    preference: Preference | None = None
    allowed_providers: tuple[str, ...] | None = None
    eu_native: bool | None = None
    allow_quantization: bool | None = None
    allow_zero_data_retention: bool | None = None
    enable_model_fallback: bool | None = None
    fallbacks: tuple[str, ...] | None = None

    def merged(self, overrides: Mapping[str, Any]) -> Options:
        """These options with the non-None `overrides` applied (checked: see `check_options`)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(check_options(overrides, allowed=REQUEST_FIELDS))
        return Options(**values)


REQUEST_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Options))
CALL_FIELDS = ("normalize", "truncate", "progress", "deadline")
# Call behaviour a client also takes as its default for every call (`Embedder.mistral(truncate=True)`): what the
# framework adapters, which make every call themselves, need to set once.
DEFAULT_CALL_FIELDS = ("normalize", "truncate")
EMBED_FIELDS: tuple[str, ...] = REQUEST_FIELDS + CALL_FIELDS


def call_fields(service_options: Iterable[str]) -> tuple[str, ...]:
    """The options a call to a service taking `service_options` (besides the model) accepts, for error messages."""
    return ("model", *sorted(service_options), *CALL_FIELDS)


def unknown_option(name: str, valid: Iterable[str], where: str) -> UnknownOptionError:
    """The error for an option name nobody has, suggesting the closest valid one (a typo is the usual cause)."""
    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UnknownOptionError(
        f"{where} has no option {name!r}{hint or '.'} Valid options: {', '.join(valid)}", argument=name
    )


def _choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    choices = sorted(allowed)
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(value, choices, n=1) if isinstance(value, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(f"{name} must be one of {', '.join(choices)}; got {value!r}{hint}", argument=name)


def check_bool(name: str, value: Any) -> bool:
    """A real boolean: `nan`, `1` or `"false"` would be sent (or read) as something the caller did not mean."""
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":  # numpy's boolean, which is not a bool subclass
        return bool(value)
    raise InputError(f"{name} must be True or False, got {value!r} ({type(value).__name__})", argument=name)


def check_int(name: str, value: Any, *, minimum: int, maximum: int | None = None) -> int:
    """An integer in range (numpy integers too; not a bool, a float or a numeric string)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer, got {value!r} ({type(value).__name__})", argument=name)
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InputError(f"{name} must be {bound}, got {number}", argument=name)
    return number


def _names(option: str, value: Any, noun: str, example: str) -> tuple[str, ...]:
    """A list of names (providers, fallback models): a lone string would be sent as its characters' list."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InputError(f"{option} must be a list of {noun}s such as [{example!r}], got {value!r}", argument=option)
    names = tuple(value)
    for position, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise InputError(f"{option}[{position}] must be a non-empty {noun}, got {name!r}", argument=option)
    return names


def _check_one(name: str, value: Any) -> Any:
    if name == "model":
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"model must be a non-empty model name, got {value!r}", argument=name)
        return value
    if name == "output_dimension":
        return check_int(name, value, minimum=1, maximum=MAX_OUTPUT_DIMENSION)
    if name == "output_dtype":
        return _choice(name, value, EMBEDDING_DTYPE_VALUES)
    if name == "encoding_format":
        return _choice(name, value, ENCODING_FORMAT_VALUES)
    if name == "preference":
        return _choice(name, value, PREFERENCE_VALUES)
    if name == "allowed_providers":
        return _names(name, value, "provider name", "mistral")
    if name == "fallbacks":
        return _names(name, value, "model name", "bge-m3")
    if name == "deadline":
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
            raise InputError(f"deadline must be a positive, finite number of seconds, got {value!r}", argument=name)
        return float(value)
    # eu_native, allow_quantization, allow_zero_data_retention, enable_model_fallback, normalize, truncate, progress
    return check_bool(name, value)


def check_options(
    options: Mapping[str, Any], *, allowed: Sequence[str], where: str = "embed()", suggest: Iterable[str] | None = None
) -> dict[str, Any]:
    """`options` checked and normalised (None values dropped: they mean "the default"), or an `InputError`.

    `suggest`: the names an unknown option's error lists, when fewer than `allowed` apply (a client's service
    takes only some request fields: the rest are refused later, by name, with the service's own message).
    """
    checked = {}
    for name, value in options.items():
        if name not in allowed:
            raise unknown_option(name, allowed if suggest is None else suggest, where)
        if value is not None:
            checked[name] = _check_one(name, value)
    return checked
