"""DataFrames from the columns the compiled module gathers (``Ledger.to_pandas``)."""

from __future__ import annotations

from typing import Any, List, Tuple

PANDAS_MISSING = (
    "custodia's DataFrames need pandas and numpy, which are not installed: "
    "pip install 'custodia[pandas]'"
)


def require_pandas() -> None:
    """Raises ``ModuleNotFoundError`` naming the extra to install when pandas is missing."""
    try:
        import numpy  # noqa: F401
        import pandas  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError as e:
        raise ModuleNotFoundError(PANDAS_MISSING, name=e.name or "pandas") from e


def build(columns: List[Tuple[str, str, Any]]) -> Any:
    """A DataFrame from ``(name, kind, payload)`` columns, in order.

    ``int64`` and ``time`` payloads are little-endian int64 buffers (times in nanoseconds since
    the epoch, UTC, ``i64::MIN`` for none); ``category`` is ``(int32 codes, categories)``;
    ``str`` is a list of str or None.
    """
    require_pandas()
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    data = {}
    for name, kind, payload in columns:
        if kind == "int64":
            data[name] = pd.Series(np.frombuffer(payload, dtype="<i8").astype(np.int64), dtype="int64")
        elif kind == "time":
            ns = np.frombuffer(payload, dtype="<i8").astype(np.int64)
            data[name] = pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC")
        elif kind == "category":
            codes, categories = payload
            data[name] = pd.Categorical.from_codes(
                np.frombuffer(codes, dtype="<i4").astype(np.int32), categories=categories
            )
        elif kind == "str":
            data[name] = pd.Series(payload, dtype=object)
        else:  # pragma: no cover - the compiled module sends only the kinds above
            raise ValueError(f"unknown column kind {kind!r}")
    return pd.DataFrame(data)
