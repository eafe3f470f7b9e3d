"""The SQL store: every run with its entities, facts, results, scores and findings, kept as history.

`Store(url)` is the Python API: `runs()`, `facts(run_id)`, `table(table, run_id)` and the histories
return pandas DataFrames for notebooks. It is also the only door to the database for writing: runs,
the run lock (`store.lock`), interrupted runs and retention.
"""

from insights.store.history import entity_history, team_history
from insights.store.repo import Store

__all__ = ["Store", "entity_history", "team_history"]
