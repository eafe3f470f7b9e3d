"""Catalog + PagerDuty state -> everything a run stores. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from insights.catalog.model import WARNING, Catalog, Finding
from insights.config import Config
from insights.facts.organisation import organisation_results
from insights.facts.registry import compute_fact_table
from insights.facts.standards import standard_checks, unknown_standards
from insights.pagerduty.accounts import account_findings, one_account_name
from insights.pagerduty.state import AccountsState, PagerDutyState, account_record
from insights.rules.evaluate import evaluate
from insights.rules.waivers import collect_waivers
from insights.scorecards import score


@dataclass
class RunBundle:
    """Everything one run writes: plain DataFrames and lists, produced here and stored by `Store.save_run`."""

    entities: list = field(default_factory=list)
    facts: pd.DataFrame = field(default_factory=pd.DataFrame)
    checks: list = field(default_factory=list)
    results: pd.DataFrame = field(default_factory=pd.DataFrame)
    scorecards: list = field(default_factory=list)
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings: list = field(default_factory=list)
    organisation: list[dict] = field(default_factory=list)
    pagerduty_url: str = ""
    pagerduty_collected_at: str = ""
    pagerduty_requests: dict = field(default_factory=dict)
    pagerduty_accounts: list[dict] = field(default_factory=list)  # per account: `state.account_record`


def _shown_url(url: str, limit: int = 255) -> str:
    """The API URL(s) as the run row keeps them (several accounts are listed in one line of at most `limit`)."""
    return url if len(url) <= limit else url[:limit - 1] + "…"


def standard_findings(checks, config: Config) -> list[Finding]:
    """A warning for each required standard the account lacks (its check's outcome is unknown)."""
    found = []
    for text in unknown_standards(checks):
        found.append(Finding("standard-unknown", WARNING, text.split(": ", 1)[1], str(config.path),
                             str(config.path), config.pagerduty.standards_required_line or None))
    return found


def evaluate_run(config: Config, catalog: Catalog, state: PagerDutyState | AccountsState,
                 now: datetime) -> RunBundle:
    account = one_account_name(config)
    table = compute_fact_table(catalog.entities, state, now, account)
    facts = table.values
    # A check per Service Standard the configuration requires, named as the collected account names them.
    required = standard_checks(list(config.pagerduty.standards_required), state, str(config.path),
                               config.pagerduty.standards_required_line)
    checks = list(config.checks) + required
    waivers, waiver_findings = collect_waivers(catalog.entities, {c.id for c in checks}, now.date(),
                                               config.waiver_max_days, config.catalog.severity)
    results = evaluate(checks, facts, waivers, table.causes)
    scores = score(list(config.scorecards), results, facts, {c.id: c.weight for c in checks})
    return RunBundle(entities=list(catalog.entities), facts=facts, checks=checks, results=results,
                     scorecards=list(config.scorecards), scores=scores,
                     findings=list(catalog.findings) + waiver_findings + account_findings(catalog.entities, config)
                     + standard_findings(required, config),
                     organisation=organisation_results(facts, state, account), pagerduty_url=_shown_url(state.api_url),
                     pagerduty_collected_at=state.collected_at, pagerduty_requests=state.requests,
                     pagerduty_accounts=state.runs() if isinstance(state, AccountsState)
                     else [account_record(account, state)])
