"""The SQL store: every run with its entities, facts, results, scores and findings, kept as history.

`Store(url)` is the Python API: `runs()`, `facts(run_id)`, `table(table, run_id)` and the histories
return pandas DataFrames for notebooks.
"""

from insights.store.history import entity_history, team_history
from insights.store.repo import RunBundle, Store

__all__ = ["RunBundle", "Store", "entity_history", "team_history"]
