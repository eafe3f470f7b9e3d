"""What every fact family shares: the Fact record and the context it computes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from insights.pagerduty.index import PagerDutyIndex

@dataclass(frozen=True)
class Fact:
    id: str
    type: str
    description: str
    source: str
    unknown_means: str = ""  # why the value is unknown, in words an owner can act on


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
