"""What every fact family shares: the Fact record and the context it computes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from insights.frames import map_distinct
from insights.pagerduty.index import PagerDutyIndex


@dataclass(frozen=True)
class Fact:
    id: str
    type: str
    description: str
    source: str
    cause: str = ""  # the cause group whose text says, per entity, why this fact is unknown (see causes.py)


@dataclass(frozen=True)
class FactContext:
    entities: pd.DataFrame
    pagerduty: PagerDutyIndex
    now: datetime


def unknown_unless(mask: pd.Series, values: pd.Series) -> pd.Series:
    """`values` where `mask` holds, None (unknown) elsewhere."""
    return values.astype(object).where(mask.astype(bool), None)


def each(series: pd.Series, function) -> pd.Series:
    """`function` applied to every value, keeping None as None (pandas' `map` would infer NaN and dtypes)."""
    return pd.Series([function(v) for v in series], index=series.index, dtype=object)


def each_distinct(series: pd.Series, function) -> pd.Series:
    """`function` applied once per distinct value (owners, systems: few values, many rows); None stays None."""
    return pd.Series(map_distinct(series, function), index=series.index, dtype=object)


def per_key(keys: pd.Series, describe, names: list[str]) -> pd.DataFrame:
    """`describe(key)` once per distinct key (a service or policy many entities may share), spread to every
    row with that key. `describe` returns a dict with `names`, or None; rows whose key is None get None."""
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
    described = [describe(key) for key in uniques] + [None]  # code -1 (no key) points at the last
    columns = {}
    for name in names:
        values = np.fromiter((None if d is None else d.get(name) for d in described), dtype=object,
                             count=len(described))
        columns[name] = pd.Series(values[codes], index=keys.index, dtype=object)
    return pd.DataFrame(columns, index=keys.index, columns=names)
