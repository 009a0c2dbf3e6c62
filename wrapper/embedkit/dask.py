"""The same embedding job on a Dask cluster: each partition is embedded by its own client on a worker.

    import dask.dataframe as dd
    from embedkit.dask import embed_series

    frame = dd.read_parquet("corpus.parquet")
    vectors = embed_series(frame["text"], service="mistral", cache="/local/disk/embeddings.sqlite")
    vectors.to_zarr("vectors.zarr")                  # or .compute() for a numpy matrix, row i = text i

Keys never travel in the task graph: each worker reads its key from its own environment (`MISTRAL_API_KEY`,
`CORTECS_API_KEY`, or the variable `api_key_env` names), so set it where the workers run.

Cache semantics: `cache` is a path each task opens on the machine it runs on. On one machine (a
`LocalCluster`) every worker shares that SQLite file, safely (WAL mode, cross-process locking), so a text is
embedded once whichever worker meets it, and a rerun sends only what no worker committed. On several
machines each node has its own file at that path: caches are per node, and a text met on two nodes is
embedded twice. Never put the file on a network filesystem; SQLite's locking does not hold there.
Results are the same rows, in the same order, as one `Embedder.embed` call over the whole series.
"""

from __future__ import annotations

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


def _client(client_arguments: dict[str, Any]) -> Embedder:
    arguments = dict(client_arguments)
    variable = arguments.pop("api_key_env", None)
    if variable is not None:
        arguments["api_key"] = os.environ.get(variable) or None
    return Embedder(**arguments)


def _embed_partition(texts: Any, client_arguments: dict[str, Any], options: EmbedOptions) -> np.ndarray[Any, Any]:
    with _client(client_arguments) as embedder:
        return embedder.embed(texts.tolist(), **options).vectors


def embed_series(
    texts: Any,
    *,
    service: str = "mistral",
    options: EmbedOptions | None = None,
    **client_arguments: Any,
) -> da.Array:
    """A lazy dask array of the vectors of a dask Series of texts, row i embedding text i.

    `client_arguments` are `Embedder` arguments (`base_url`, `cache`, `max_concurrency`, ...), plus
    `api_key_env`; `options` are `embed` options. The vector width is learnt by embedding the first text here.
    """
    if "api_key" in client_arguments:
        raise TypeError("pass the key through the workers' environment (api_key_env=...), not in the task graph")
    arguments = {"service": service, "progress": False, **client_arguments}
    call_options: EmbedOptions = {**(options or {}), "progress": False}
    lengths = [int(n) for n in texts.map_partitions(len).compute()]
    first = next((i for i, n in enumerate(lengths) if n), None)
    if first is None:
        return da.zeros((0, 0), dtype=np.float32)
    with _client(arguments) as embedder:
        sample = embedder.embed(texts.get_partition(first).head(1).tolist(), **call_options).vectors
    width, dtype = sample.shape[1], sample.dtype
    parts = [
        da.from_delayed(delayed(_embed_partition)(part, arguments, call_options), (n, width), dtype=dtype)
        for part, n in zip(texts.to_delayed(), lengths, strict=True)
        if n
    ]
    return da.concatenate(parts, axis=0)
