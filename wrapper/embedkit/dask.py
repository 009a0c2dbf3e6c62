"""The same embedding job on a Dask cluster: each partition is embedded by its own client on a worker.

    import dask.dataframe as dd
    from embedkit.dask import embed_series

    frame = dd.read_parquet("corpus.parquet")
    vectors = embed_series(frame["text"], service="mistral", cache="/local/disk/embeddings.sqlite")
    matrix = vectors.compute()                       # a numpy matrix, row i = text i; the series is read once

Keys never travel in the task graph: each worker reads its key from its own environment (`MISTRAL_API_KEY`,
`CORTECS_API_KEY`, or the variable `api_key_env` names), so set it where the workers run.

Cache semantics: `cache` is a path each task opens on the machine it runs on. On one machine (a
`LocalCluster`) every worker shares that SQLite file, safely (WAL mode, cross-process locking), so a text is
embedded once whichever worker meets it, and a rerun sends only what no worker committed. On several
machines each node has its own file at that path: caches are per node, and a text met on two nodes is
embedded twice. Never put the file on a network filesystem; SQLite's locking does not hold there.
Results are the same rows, in the same order, as one `Embedder.embed` call over the whole series.

Rate limits (`requests_per_second=`, `tokens_per_minute=`, or `$EMBEDKIT_REQUESTS_PER_SECOND` /
`$EMBEDKIT_TOKENS_PER_MINUTE` where `embed_series` is called) are one budget for the whole cluster, not one per
partition: on a `distributed` cluster it is held by an actor on one worker (`RateBudget.on_dask`), which every
partition's client reserves through; a 429 pauses every worker. Without `distributed` (the threaded or
synchronous scheduler) the partitions run in one process and share its budget.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from ._extras import raise_missing_extra

try:
    import dask.array as da
    from dask.delayed import delayed
except ModuleNotFoundError as error:
    raise_missing_extra(error, extra="dask", feature="embedkit.dask")

from ._base import EmbedOptions
from ._client import Embedder
from ._core import limit_from
from ._decode import VALUE_DTYPES, expected_width
from ._errors import AuthenticationError
from ._ratebudget import ActorBackend, RateBudget, RateLimits

# Default widths, so that the array's shape is known without embedding anything on the driver: codestral-embed's
# 1536 is in Mistral's API document; mistral-embed's 1024 comes from third-party reports, not from Mistral's docs.
# A partition that gets another width fails naming the fix (dimension=), so a wrong entry cannot go unnoticed.
DEFAULT_DIMENSIONS = {"mistral-embed": 1024, "codestral-embed": 1536}


def _client(client_arguments: dict[str, Any]) -> Embedder:
    arguments = dict(client_arguments)
    variable = arguments.pop("api_key_env", None)
    if variable is not None:
        # A variable the user named and the worker lacks is an error: falling back to the service's own variable
        # would bill another key (or fail later with a message that names the wrong variable).
        key = os.environ.get(variable)
        if not key:
            raise AuthenticationError(f"no API key on this worker: ${variable} (api_key_env) is not set here")
        arguments["api_key"] = key
    return Embedder(**arguments)


def _cluster_budget(service: str, arguments: dict[str, Any]) -> RateBudget | None:
    """One budget for every worker, on the current `distributed` cluster; None without limits or a cluster.

    Named by service, URL and key variable (never the key: the driver may not have it), so concurrent jobs of one
    key on one cluster share it too.
    """
    if arguments.get("rate_budget") is not None:
        return None
    limits = RateLimits(
        limit_from("requests_per_second", arguments.get("requests_per_second"), "EMBEDKIT_REQUESTS_PER_SECOND"),
        limit_from("tokens_per_minute", arguments.get("tokens_per_minute"), "EMBEDKIT_TOKENS_PER_MINUTE"),
    )
    if not limits.enabled:
        return None
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):  # no cluster: the partitions run in this process and share its budget
        return None
    who = f"{service}\0{arguments.get('base_url')}\0{arguments.get('api_key_env')}"
    name = "embedkit-rate-budget-" + hashlib.sha256(who.encode()).hexdigest()[:16]
    return RateBudget.on_dask(limits, client, name=name)


def _embed_partition(
    texts: Any, client_arguments: dict[str, Any], options: EmbedOptions, width: int, dtype: np.dtype[Any]
) -> np.ndarray[Any, Any]:
    texts = texts.tolist()
    if not texts:
        return np.empty((0, width), dtype)
    budget = client_arguments.get("rate_budget")
    if isinstance(budget, RateBudget) and isinstance(budget.backend, ActorBackend):
        budget.backend.bind()
    with _client(client_arguments) as embedder:
        vectors = embedder.embed(texts, **options).vectors
    if vectors.shape[1] != width:
        raise ValueError(
            f"the service returned {vectors.shape[1]} values per vector, not the {width} this array was declared "
            "with: pass dimension= (the model's output dimension) to embed_series"
        )
    return vectors


def embed_series(
    texts: Any,
    *,
    service: str = "mistral",
    options: EmbedOptions | None = None,
    dimension: int | None = None,
    **client_arguments: Any,
) -> da.Array:
    """A lazy dask array of the vectors of a dask Series of texts, row i embedding text i.

    `client_arguments` are `Embedder` arguments (`base_url`, `cache`, `max_concurrency`, ...), plus
    `api_key_env`; `options` are `embed` options. Nothing is computed or sent here: the series is read once,
    when the array is computed. The vector width comes from `options["output_dimension"]`, else `dimension`,
    else the model's known default (mistral-embed, codestral-embed); another model needs `dimension=`.
    Partition lengths are not known before the texts are read, so the row chunks are unknown (nan):
    `.compute()` works as is; `.to_zarr()` and slicing need `.persist()` then `.compute_chunk_sizes()`.
    """
    if "api_key" in client_arguments:
        raise TypeError("pass the key through the workers' environment (api_key_env=...), not in the task graph")
    arguments = {"service": service, "progress": False, **client_arguments}
    budget = _cluster_budget(service, arguments)
    if budget is not None:
        arguments.pop("requests_per_second", None)
        arguments.pop("tokens_per_minute", None)
        arguments["rate_budget"] = budget
    call_options: EmbedOptions = {**(options or {}), "progress": False}
    output_dtype = call_options.get("output_dtype") or "float"
    if output_dtype not in VALUE_DTYPES:
        raise ValueError(f"output_dtype must be one of {sorted(VALUE_DTYPES)}, got {output_dtype!r}")
    model = call_options.get("model") or client_arguments.get("model") or "mistral-embed"
    given = call_options.get("output_dimension") or client_arguments.get("output_dimension") or dimension
    if given is None:
        given = DEFAULT_DIMENSIONS.get(model)
    width = expected_width(output_dtype, given)
    if width is None:
        raise ValueError(f"the width of {model!r} vectors is not known here: pass dimension= (its output dimension)")
    dtype = VALUE_DTYPES[output_dtype]
    parts = [
        da.from_delayed(
            delayed(_embed_partition)(part, arguments, call_options, width, dtype), (np.nan, width), dtype=dtype
        )
        for part in texts.to_delayed()
    ]
    if not parts:
        return da.zeros((0, width), dtype=dtype)
    return da.concatenate(parts, axis=0)
