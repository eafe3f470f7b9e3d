"""Names and texts stored once. The change-only tables hold numbers: a row names its entity, fact, check or
scorecard by an id in `names`, and its value, reason and fix by an id in `texts` (a fix is the same text for
many entities, a value like `true` for most). Readers get the names and texts back, never the ids.

Ids are given here, by the one writer holding the run lock, in the transaction that stores the rows; no
name or text is ever deleted, so rows read before the dictionaries always find theirs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from insights.store import tables as t
from insights.store.rows import bulk_insert

CODED = {  # column as read -> (column as stored, dictionary)
    "entity_ref": ("entity_key", t.names), "fact_id": ("fact_key", t.names), "check_id": ("check_key", t.names),
    "scorecard_id": ("scorecard_key", t.names),
    "value": ("value_key", t.texts), "reason": ("reason_key", t.texts), "fix": ("fix_key", t.texts),
}
READ = {stored: column for column, (stored, _) in CODED.items()}


def stored(column: str) -> str:
    """The column as the table holds it (`entity_ref` -> `entity_key`; others as they are)."""
    return CODED[column][0] if column in CODED else column


def _text(dictionary) -> str:
    return "name" if dictionary is t.names else "text"


class Codes:
    """Both dictionaries as the database holds them: text -> id for writing, id -> text for reading."""

    def __init__(self, connection):
        self.ids: dict[str, dict[str, int]] = {}
        self.values: dict[str, np.ndarray] = {}
        for dictionary in (t.names, t.texts):
            cursor = connection.connection.driver_connection.cursor()
            try:
                cursor.execute(f"SELECT id, {_text(dictionary)} FROM {dictionary.name}")
                rows = cursor.fetchall()
            finally:
                cursor.close()
            self.ids[dictionary.name] = {text: int(i) for i, text in rows}
            self._index(dictionary.name)

    def _index(self, name: str) -> None:
        ids = self.ids[name]
        values = np.full(max(ids.values(), default=0) + 1, None, dtype=object)  # id 0: none (ids start at 1)
        values[np.fromiter(ids.values(), dtype=np.int64, count=len(ids))] = list(ids)
        self.values[name] = values

    def decode(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Stored columns (`entity_key`, `value_key`, ...) as names and texts (`entity_ref`, `value`, ...)."""
        decoded = {}
        for column in rows.columns:
            if column not in READ:
                continue
            ids = rows[column].to_numpy(dtype=object)
            missing = pd.isna(ids)
            decoded[READ[column]] = self.values[CODED[READ[column]][1].name][
                np.where(missing, 0, ids).astype(np.int64)]
        return rows.rename(columns=READ).assign(**decoded)

    def encode(self, connection, rows: pd.DataFrame) -> pd.DataFrame:
        """Names and texts as ids, storing the new ones (in the caller's transaction)."""
        encoded = {}
        for column in rows.columns:
            if column not in CODED:
                continue
            key, dictionary = CODED[column]
            codes, uniques = pd.factorize(rows[column].to_numpy(dtype=object))
            ids = self._ids(connection, dictionary, list(uniques))
            encoded[key] = np.append(np.array(ids, dtype=object), None)[codes]  # code -1 (missing): NULL
        return rows.drop(columns=[c for c in rows.columns if c in CODED]).assign(**encoded)

    def _ids(self, connection, dictionary, texts: list[str]) -> list[int]:
        known = self.ids[dictionary.name]
        new = [text for text in texts if text not in known]
        if new:
            first = max(known.values(), default=0) + 1
            added = dict(zip(new, range(first, first + len(new))))
            bulk_insert(connection, dictionary, pd.DataFrame({"id": list(added.values()), _text(dictionary): new}))
            known.update(added)
            self._index(dictionary.name)
        return [known[text] for text in texts]
