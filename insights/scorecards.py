"""Scorecards: ordered levels of checks, and a weighted score, per entity. Pure.

An entity reaches a level when every check of that level and of all lower levels passes (a waived or
not-applicable check counts as passed; unknown does not). The score is the weighted share of passed
checks among those that are known: unknown results are left out, never counted as pass or fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insights.rules.evaluate import applies_mask
from insights.rules.model import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, WAIVED

SCORE_COLUMNS = ["entity_ref", "scorecard_id", "level", "score", "passed", "failed", "unknown"]
PASSING = (PASS, WAIVED, NOT_APPLICABLE)


@dataclass(frozen=True)
class Level:
    name: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    id: str
    name: str
    levels: tuple[Level, ...]
    applies_to: dict | tuple = field(default_factory=dict)  # as a check's: a mapping, or alternatives
    weights: dict = field(default_factory=dict)
    description: str = ""

    @property
    def checks(self) -> list[str]:
        return [c for level in self.levels for c in level.checks]


def outcome_table(results: pd.DataFrame, refs: pd.Index) -> pd.DataFrame | None:
    """Entities x checks. `evaluate` lays results out check by check in the fact table's entity order,
    so the table is a reshape; any other layout is pivoted."""
    if not len(results):
        return None
    checks = pd.unique(results["check_id"])
    if len(results) == len(checks) * len(refs) and (results["entity_ref"].to_numpy()[: len(refs)] == refs.to_numpy()).all():
        matrix = results["outcome"].to_numpy(dtype=object).reshape(len(checks), len(refs)).T
        return pd.DataFrame(matrix, index=refs, columns=checks)
    return results.pivot(index="entity_ref", columns="check_id", values="outcome")


def score(scorecards: list[Scorecard], results: pd.DataFrame, facts: pd.DataFrame,
          check_weights: dict[str, float]) -> pd.DataFrame:
    frames = []
    outcomes = outcome_table(results, facts.index)
    for card in scorecards:
        refs = facts.index[applies_mask(card.applies_to, facts)]
        if outcomes is None or not len(refs):
            continue
        table = outcomes.reindex(index=refs, columns=card.checks)
        passing = table.isin(PASSING)
        level = np.full(len(refs), None, dtype=object)
        reached = np.ones(len(refs), dtype=bool)
        for lvl in card.levels:
            reached &= passing[list(lvl.checks)].all(axis=1).to_numpy()
            level[reached] = lvl.name
        weights = np.array([card.weights.get(c, check_weights.get(c, 1.0)) for c in card.checks])
        passed = table.isin((PASS, WAIVED)).to_numpy()
        failed = (table == FAIL).to_numpy()
        known_weight = (passed | failed) @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(known_weight > 0, 100.0 * (passed @ weights) / known_weight, np.nan)
        frames.append(pd.DataFrame({
            "entity_ref": refs, "scorecard_id": card.id, "level": level,
            "score": np.round(value, 1), "passed": passed.sum(axis=1), "failed": failed.sum(axis=1),
            "unknown": (table == UNKNOWN).to_numpy().sum(axis=1)}, columns=SCORE_COLUMNS))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SCORE_COLUMNS)
