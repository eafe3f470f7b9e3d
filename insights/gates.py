"""CI gates over a stored run. Pure: the run as stored, the previous successful run and the settings in;
what tripped (and notes worth a look) out.

- a mean score floor (`fail_under`);
- checks that must pass for every entity they apply to (`fail_on`): `fail` trips, and so does
  `unknown` unless `allow_unknown`; `waived` passes;
- regressions (`fail_on_new_failures`): a check that passed for an entity in the previous run and fails
  now. Entities new since the previous run have nothing to regress from: their failures are counted
  apart, and gated only by `fail_on_new_entity_failures`;
- a catalog that shrinks sharply (`max_shrink_percent`): more than that share of the previous run's
  entities gone, or none at all, is far more often a broken crawl than a decommissioning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from insights.configsections import Gates as GateSettings
from insights.report.view import RunView

NAMES_SHOWN = 5


def gate_settings(configured, **given) -> GateSettings:
    """Each setting as given (a command-line option), else as configured (the `gates` section), else the
    default. A flag not set and an option not given count as not given."""
    default = GateSettings()
    chosen = {name: value if value is not None and value is not False
              else getattr(configured, name, getattr(default, name)) for name, value in given.items()}
    return GateSettings(**{**chosen, "fail_on": tuple(chosen.get("fail_on", ()))})


@dataclass(frozen=True)
class Previous:
    """The previous successful run, as far as the gates compare with it."""

    run_id: int | None = None
    entities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["ref", "source"]))
    results: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["entity_ref", "check_id", "outcome"]))


@dataclass(frozen=True)
class GateVerdict:
    problems: tuple[str, ...] = ()  # one line per tripped gate
    notes: tuple[str, ...] = ()


def evaluate_gates(view: RunView, previous: Previous, settings: GateSettings) -> GateVerdict:
    problems: list[str] = []
    notes: list[str] = []
    if settings.fail_under is not None and len(view.scores):
        mean = float(view.scores["score"].mean())
        if mean < settings.fail_under:
            problems.append(f"mean score {mean:.1f} is below --fail-under {settings.fail_under:g}")
    for check in settings.fail_on:
        problems += _must_pass(view.results, check, settings.allow_unknown)
    problems += _shrink(view.entities, previous, settings.max_shrink_percent)
    if settings.fail_on_new_failures or settings.fail_on_new_entity_failures:
        if previous.run_id is None:
            notes.append("no previous successful run in this database: there are no new failures to gate")
        else:
            regressed, newcomers = _new_failures(view, previous)
            if settings.fail_on_new_failures and len(regressed):
                problems.append(f"{_count(len(regressed), 'check')} passed in run {previous.run_id} and "
                                f"{'fails' if len(regressed) == 1 else 'fail'} now: {_pairs(regressed)}")
            if len(newcomers):
                entities = newcomers["entity_ref"].nunique()
                line = (f"{_count(entities, 'entity', 'entities')} new since run {previous.run_id} "
                        f"{'fails' if entities == 1 else 'fail'} {_count(len(newcomers), 'check')}: {_pairs(newcomers)}")
                if settings.fail_on_new_entity_failures:
                    problems.append(line)
                else:
                    notes.append(f"{line} (not gated: --fail-on-new-entity-failures gates them)")
    return GateVerdict(tuple(problems), tuple(notes))


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def _names(values) -> str:
    values = list(values)
    return ", ".join(values[:NAMES_SHOWN]) + (" …" if len(values) > NAMES_SHOWN else "")


def _pairs(rows: pd.DataFrame) -> str:
    ordered = rows.sort_values(["entity_ref", "check_id"])
    return _names(f"{ref} {check}" for ref, check in zip(ordered["entity_ref"], ordered["check_id"]))


def _must_pass(results: pd.DataFrame, check: str, allow_unknown: bool) -> list[str]:
    rows = results[results["check_id"] == check]
    if not len(rows):
        return [f"check {check} was not evaluated in this run (it is not among the configured checks)"]
    blocking = ("fail",) if allow_unknown else ("fail", "unknown")
    failing = rows[rows["outcome"].isin(blocking)].sort_values("entity_ref")
    if not len(failing):
        return []
    counts = failing["outcome"].value_counts()
    detail = ", ".join(f"{counts[o]} {'failing' if o == 'fail' else o}" for o in blocking if o in counts)
    return [f"check {check} does not pass for {_count(len(failing), 'entity', 'entities')} ({detail}): "
            f"{_names(failing['entity_ref'])}"]


def _shrink(entities: pd.DataFrame, previous: Previous, max_percent: float | None) -> list[str]:
    if max_percent is None or max_percent >= 100:
        return []
    now, before = len(entities), len(previous.entities)
    if previous.run_id is None or not before:
        return ["the catalog has no entities: check that the catalog sources are reachable and not empty"] \
            if now == 0 else []
    if now > 0 and now >= before * (1 - max_percent / 100):
        return []
    counts = pd.DataFrame({
        "before": previous.entities["source"].fillna("(no source)").value_counts(),
        "now": entities["source"].fillna("(no source)").value_counts()}).fillna(0).astype(int)
    lost = counts[counts["now"] < counts["before"]]
    lost = lost.assign(loss=lost["before"] - lost["now"]).sort_values(["loss", "before"], ascending=False)
    sources = _names(f"{source} {row.before:,} → {row.now:,}" for source, row in lost.iterrows())
    if now == 0:
        head = f"the catalog has no entities, where run {previous.run_id} had {before:,}"
    else:
        head = (f"the catalog has {now:,} entities, {100 * (before - now) / before:.0f}% fewer than the {before:,} "
                f"of run {previous.run_id}")
    return [f"{head} (more than {max_percent:g}% fewer trips this gate; --max-shrink 100 turns it off); sources "
            f"that lost entities: {sources}"]


def _new_failures(view: RunView, previous: Previous) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(checks that passed in the previous run and fail now, failures of entities new since then)."""
    failing = view.results[view.results["outcome"] == "fail"][["entity_ref", "check_id"]]
    newcomer = ~failing["entity_ref"].isin(set(previous.entities["ref"]))
    before = failing[~newcomer].merge(previous.results[["entity_ref", "check_id", "outcome"]],
                                      on=["entity_ref", "check_id"], how="left")
    return before[before["outcome"] == "pass"], failing[newcomer]
