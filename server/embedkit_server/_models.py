"""Mistral's models API: the cards of `/v1/models`, and the fine-tuned models' changing state, per server.

Base models (the embedding models of `_catalogue.py`) are fixed: one card per id, versioned ids and plain aliases
alike, each naming the others as `aliases`, as the real `/v1/models` does. The fine-tuned model can be renamed and
described (`update_model`), archived and unarchived, and deleted (then it is gone from every route: 404); its
state belongs to one server, so a test that deletes it does not take it from another server. The operations of
fine-tuned models refuse a base model with a 400 (it exists but is not theirs to change) and an unknown id with a
404, which is what `delete_model` documents; the fine-tuning routes do the same, for one rule everywhere.

`list_models` filters as Mistral's parameters suggest (neither is described upstream, so both are this server's
reading): `model` keeps the cards answering to that id (by id or alias), `provider` the cards whose `owned_by`
is that name (`mistralai` for base models, the organisation for fine-tuned ones).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from . import _catalogue as catalogue
from ._errors import APIError, NotFound
from ._limits import Limits


@dataclass
class _FineTunedState:
    name: str | None
    description: str | None
    archived: bool = False
    deleted: bool = False


class ModelRegistry:
    """Every model this server has, with the fine-tuned ones' state; safe to use from several threads."""

    def __init__(self) -> None:
        self._state = {
            model_id: _FineTunedState(model.name, model.description)
            for model_id, model in catalogue.FINE_TUNED_MODELS.items()
        }
        self._lock = threading.Lock()

    def listing(self, params: dict[str, Any]) -> dict[str, Any]:
        """The `ModelList`: base cards first, then the fine-tuned ones still there, filtered by `model`/`provider`."""
        with self._lock:
            cards = [_base_card(model_id) for model_id in catalogue.MISTRAL_MODELS]
            cards += [self._fine_tuned_card(model_id) for model_id, state in self._state.items() if not state.deleted]
        wanted, provider = params.get("model"), params.get("provider")
        chosen = [
            card
            for card in cards
            if (wanted is None or wanted == card["id"] or wanted in card["aliases"])
            and (provider is None or provider == card["owned_by"])
        ]
        return {"object": "list", "data": chosen}

    def card(self, model_id: str) -> dict[str, Any]:
        """The `BaseModelCard` or `FTModelCard` of an id or alias, else 404."""
        if model_id in catalogue.MISTRAL_MODELS:
            return _base_card(model_id)
        with self._lock:
            self._fine_tuned(model_id)
            return self._fine_tuned_card(model_id)

    def delete(self, model_id: str) -> dict[str, Any]:
        """Delete a fine-tuned model (`DeleteModelResponse`); 400 for a base model, 404 for an unknown one."""
        with self._lock:
            self._fine_tuned(model_id, doing="deleted").deleted = True
        return {"id": model_id, "object": "model", "deleted": True}

    def update(self, model_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Set the `name` and `description` given (null clears one; an absent key leaves it as it was)."""
        with self._lock:
            state = self._fine_tuned(model_id, doing="updated")
            if "name" in changes:
                state.name = changes["name"]
            if "description" in changes:
                state.description = changes["description"]
            return self._completion_model(model_id)

    def archive(self, model_id: str, *, archived: bool) -> dict[str, Any]:
        """Archive or unarchive a fine-tuned model (`ArchiveModelResponse` / `UnarchiveModelResponse`)."""
        with self._lock:
            self._fine_tuned(model_id, doing="archived" if archived else "unarchived").archived = archived
        return {"id": model_id, "object": "model", "archived": archived}

    def _fine_tuned(self, model_id: str, doing: str | None = None) -> _FineTunedState:
        """A fine-tuned model's state (the caller holds the lock), or the 400/404 that says why there is none."""
        if doing is not None and model_id in catalogue.MISTRAL_MODELS:
            raise APIError(
                400,
                f"Model {model_id} is a base model: only a fine-tuned model can be {doing}",
                type_="invalid_request_error",
                param="model_id",
            )
        state = self._state.get(model_id)
        if state is None or state.deleted:
            raise NotFound("Model", model_id)
        return state

    def _fine_tuned_card(self, model_id: str) -> dict[str, Any]:
        model, state = catalogue.FINE_TUNED_MODELS[model_id], self._state[model_id]
        return {
            **_common(model_id, model.created, catalogue.ORGANISATION, state.name, state.description),
            "capabilities": {flag: flag in model.capabilities for flag in catalogue.CAPABILITIES},
            "max_context_length": model.max_context_length,
            "aliases": [],
            "type": "fine-tuned",
            "job": model.job,
            "root": model.root,
            "archived": state.archived,
        }

    def _completion_model(self, model_id: str) -> dict[str, Any]:
        """The `CompletionFineTunedModel` the fine-tuning routes answer."""
        model, state = catalogue.FINE_TUNED_MODELS[model_id], self._state[model_id]
        flags = ("completion_chat", "completion_fim", "function_calling", "fine_tuning", "classification")
        return {
            "id": model_id,
            "object": "model",
            "created": model.created,
            "owned_by": catalogue.ORGANISATION,
            "workspace_id": catalogue.WORKSPACE,
            "root": model.root,
            "root_version": model.root_version,
            "archived": state.archived,
            "name": state.name,
            "description": state.description,
            "capabilities": {flag: flag in model.capabilities for flag in flags},
            "max_context_length": model.max_context_length,
            "aliases": [],
            "job": model.job,
            "model_type": "completion",
        }


def _common(model_id: str, created: int, owner: str, name: str | None, description: str | None) -> dict[str, Any]:
    return {
        "id": model_id,
        "object": "model",
        "created": created,
        "owned_by": owner,
        "name": name,
        "description": description,
        "deprecation": None,
        "deprecation_replacement_model": None,
        "default_model_temperature": None,
        "internal": False,
    }


def _base_card(model_id: str) -> dict[str, Any]:
    """One id's `BaseModelCard`: every capability false (there is no embedding flag), the other ids as aliases."""
    model = catalogue.MISTRAL_MODELS[model_id]
    return {
        **_common(model_id, model.created, "mistralai", model.version or model.name, model.description),
        "capabilities": dict.fromkeys(catalogue.CAPABILITIES, False),
        "max_context_length": Limits().max_tokens_per_input,
        "aliases": [other for other in model.ids if other != model_id],
        "type": "base",
    }
