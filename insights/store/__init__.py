"""The SQL store: every run with its entities, facts, results, scores and findings, kept as history.

`Store(url)` is the Python API; its `load_*` methods return pandas DataFrames for notebooks.
"""

from insights.store.repo import RunBundle, Store

__all__ = ["RunBundle", "Store"]
