"""Optional dependencies: a feature that needs one says which extra to install, instead of a bare import error.

A plain client needs only httpx, numpy, orjson, pybase64, tqdm and attrs. Parquet (pyarrow), the reference
server, Dask and the framework adapters are extras of the `embedkit` distribution, so that installing the
client does not drag in a columnar engine, a web server or a framework nobody asked for.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import NoReturn

from ._errors import EmbeddingError


class MissingDependencyError(EmbeddingError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the extra to install.

    An `ImportError` too, so code that already guards optional imports keeps working.
    """


def raise_missing_extra(error: ModuleNotFoundError, *, extra: str, feature: str) -> NoReturn:
    """Raise the error for `error`, met while importing what `feature` needs from `extra`.

    Only a module that is simply absent becomes a `MissingDependencyError`; an import that fails inside one of
    this distribution's own packages is a real fault and is raised unchanged, never disguised as a missing extra.
    """
    if error.name is None or error.name.split(".")[0] in ("embedkit", "embedkit_generated", "embedkit_server"):
        raise error
    raise MissingDependencyError(
        f"{feature} needs the optional dependency {error.name!r}, which is not installed: "
        f"pip install 'embedkit[{extra}]'"
    ) from error


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import `module` (an optional dependency of `feature`), or raise `MissingDependencyError` naming `extra`."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise_missing_extra(error, extra=extra, feature=feature)
