"""One run: crawl + collect -> facts -> checks -> scorecards -> store -> reports. The I/O edges meet here."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from insights.catalog.refs import display_name
from insights.catalog.sources import CrawlSettings, Source, crawl
from insights.config import Config
from insights.configsections import BUDGET, refuse_in_memory
from insights.errors import ConfigError, InsightsError, OutputError, StoreError, interruption
from insights.evaluation import RunBundle, evaluate_run
from insights.gates import GateSettings, GateVerdict, Previous, evaluate_gates
from insights.pagerduty.auth import CLIENT_ID_ENV, CLIENT_SECRET_ENV, TOKEN_ENV, credential_from_environment
from insights.pagerduty.accounts import AccountSettings, account_of, collect_accounts, one_account_name, snapshot_gaps
from insights.pagerduty.client import ClientSettings, PagerDutyClient
from insights.pagerduty.collect import CollectOptions, collect, wanted_from
from insights.pagerduty.response import ResponseOptions
from insights.pagerduty.state import AccountsState, PagerDutyState, load_state, parse_time
from insights.progress import SILENT, Progress
from insights.report import FORMATS, write_reports
from insights.report.view import RunView, facts_as_stored, load_view
from insights.store import Store
from insights.store import tables as t
from insights.store.lock import LockTiming, RunLock
from insights.store.maintenance import check_retention

log = logging.getLogger(__name__)
DEFAULT_DB = "sqlite:///insights.db"


@dataclass(frozen=True)
class RunOptions:
    config: Config
    sources: tuple[Source, ...] = ()
    db_url: str | None = None
    out_dir: Path = Path("reports")
    pagerduty_url: str | None = None
    snapshot: Path | None = None
    credential: object | None = field(default=None, repr=False)  # TokenCredential or OAuthCredential
    formats: tuple[str, ...] = FORMATS
    progress: Progress = SILENT
    gates: GateSettings = GateSettings()
    lock_timing: LockTiming = LockTiming()


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    reports: dict[str, Path]
    summary: dict
    view: RunView  # the stored run as the reports show it
    gates: GateVerdict = GateVerdict()


def database_url(option: str | None, config: Config | None = None) -> str:
    return refuse_in_memory(option or os.environ.get("INSIGHTS_DB_URL") or (config.store_url if config else None)
                            or DEFAULT_DB)


def credential_for(config: Config):
    settings = config.pagerduty
    return credential_from_environment(settings.subdomain, settings.region, settings.token_url)


def wanted_services(catalog, config: Config | None = None) -> CollectOptions:
    """What the catalog points at in the one account read (several services per annotation allowed): on-calls
    and incidents are fetched for these services only. Entities naming another account are not judged there."""
    if config is None:
        return wanted_from(catalog.entities)
    name = one_account_name(config)
    return wanted_from([e for e in catalog.entities if account_of(e.annotations, name) == name])


def crawl_settings(config: Config) -> CrawlSettings:
    catalog = config.catalog
    return CrawlSettings(max_file_bytes=catalog.max_file_bytes, allowed_hosts=catalog.allowed_hosts,
                         url_tokens=dict(catalog.url_tokens), fetch_timeout=catalog.fetch_timeout_s,
                         git_timeout=int(catalog.git_timeout_s), repository_timeout=catalog.source_deadline_s,
                         git_concurrency=catalog.git_concurrency, git_filter=catalog.git_filter,
                         git_max_bytes=catalog.git_max_bytes,
                         backstage_timeout=catalog.source_deadline_s, severity=dict(catalog.severity))


def client_settings(config: Config, url: str | None = None) -> ClientSettings:
    """`url` (the --pagerduty-url option) or the configured URL, which is the region's API host when unset."""
    settings = config.pagerduty
    return _client({name: getattr(settings, name) for name in BUDGET}, base_url=url or settings.url)


def _client(values, **more) -> ClientSettings:
    """The client's budget and time limits (`configsections.BUDGET`) as configured in `values`."""
    return ClientSettings(**{name: values[name] for name in BUDGET}, **more)


def collect_options(config: Config, wanted: CollectOptions | None = None) -> CollectOptions:
    """Which collections the configuration turns on, for the services `wanted` names (None: every service)."""
    settings, analytics, changes = config.pagerduty, config.pagerduty.analytics, config.pagerduty.change_events
    return dataclasses.replace(
        wanted or CollectOptions(), tags=settings.tags, schedule_coverage=settings.schedule_coverage,
        standards=settings.standards or bool(settings.standards_required), incident_response=analytics["enabled"],
        response=ResponseOptions(analytics["window_days"], analytics["api"], analytics["time_zone"]),
        change_events=changes["enabled"], change_events_days=changes["window_days"])


def account_settings(config: Config) -> list[AccountSettings]:
    """`pagerduty.accounts`, each with a budget and time limits of its own."""
    return [AccountSettings(
        id=a["id"], url=a["url"], region=a["region"], token_env=a["token_env"], client_id_env=a["client_id_env"],
        client_secret_env=a["client_secret_env"], subdomain=a["subdomain"], token_url=a["token_url"],
        client=_client(a)) for a in config.pagerduty.accounts]


def pagerduty_state(options: RunOptions, wanted: CollectOptions | None = None,
                    entities=None) -> PagerDutyState | AccountsState:
    """The snapshot given, else a collection now: of one account, or of every configured account at once
    (each for the `entities` judged in it; None: every service)."""
    if options.snapshot:
        return load_state(options.snapshot)
    with options.progress.stage("collect", "requests") as advance:
        settings = options.config.pagerduty
        if settings.accounts:
            default = settings.default_account or settings.accounts[0]["id"]
            return collect_accounts(account_settings(options.config), entities, collect_options(options.config),
                                    default, on_request=advance)
        return _collect(options, wanted, advance)


def _collect(options: RunOptions, wanted: CollectOptions | None, advance) -> PagerDutyState:
    client = PagerDutyClient(options.credential, client_settings(options.config, options.pagerduty_url))
    client.on_request = advance
    return collect(client, collect_options(options.config, wanted))


def catalog_sources(options) -> tuple[Source, ...]:
    """The sources given (`--catalog`), else the configured ones; none at all is a configuration error."""
    sources = tuple(options.sources or options.config.sources)
    if not sources:
        raise ConfigError(f"{options.config.path}: no catalog sources; add `catalog.sources` or pass --catalog")
    return sources


def execute(options: RunOptions) -> RunOutcome:
    """One run, under the store's run lock from start to end (see `insights.store.lock`)."""
    sources = catalog_sources(options)
    if not options.snapshot and not options.credential and not options.config.pagerduty.accounts:
        raise ConfigError(f"no PagerDuty credential: set {TOKEN_ENV} to a read-only REST API key (or "
                          f"{CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} for an OAuth app), or run offline with "
                          "--pagerduty-snapshot FILE")
    check_retention(options.config.keep_runs, options.config.keep_days)
    # A snapshot that cannot be read is refused before anything is crawled or recorded.
    snapshot = load_state(options.snapshot) if options.snapshot else None
    for gap in snapshot_gaps(snapshot, options.config):
        log.warning("%s", gap)
    store = Store(database_url(options.db_url, options.config), options.lock_timing)
    with store.writing() as lock:
        store.ensure_schema()
        store.fail_interrupted_runs()
        run_id = store.begin_run(config_hash=options.config.hash, sources=[s.label for s in sources])
        clock = StageClock()
        kept = kept_for_reports(_run(options, store, lock, run_id, sources, clock, snapshot))
        del snapshot
        return publish(options, store, run_id, kept, clock)


class Kept(NamedTuple):
    """What the reports keep of a stored run's RunBundle: its summary, and its facts in the form the store
    reads them back (reading them from the database took longer than writing every report). The rest (the
    catalog, a million check results) is let go: the reports read the run back from the store."""
    summary: dict
    facts: pd.DataFrame


def kept_for_reports(bundle: RunBundle) -> Kept:
    """Callers pass the bundle straight in, holding no other reference, so that it is freed on return."""
    return Kept(summarise(bundle), facts_as_stored(bundle.facts))


def publish(options: RunOptions, store: Store, run_id: int, kept: Kept, clock: StageClock | None = None) -> RunOutcome:
    """After a run is stored, still under its lock: reports, gates, retention; the time the reports took
    joins the run's stage timings."""
    clock = clock or StageClock()
    summary, facts = kept
    del kept
    with clock("reports"):
        log.info("run %d: stored; reading it back for the reports", run_id)
        view = dataclasses.replace(load_view(store, run_id), facts_loader=lambda: facts)
        log.info("run %d: writing reports", run_id)
        try:
            reports = write_reports(store, view, options.out_dir, options.formats)
        except OutputError as error:
            raise OutputError(f"{error}; run {run_id} is stored: `insights report --run {run_id} --out "
                              f"{options.out_dir}` writes its reports again") from error
    stored = view.run.get("stages")
    stages = {**(json.loads(stored) if isinstance(stored, str) else {}), **clock.seconds}
    store.record_stages(run_id, stages)
    view = dataclasses.replace(view, run={**view.run, "stages": json.dumps(stages)})
    verdict = evaluate_gates(view, previous_run(store, view, options.gates), options.gates)
    try:
        store.apply_retention(options.config.keep_runs, options.config.keep_days)
    except StoreError as error:
        raise StoreError(f"run {run_id} is stored and its reports are written, but retention failed: "
                         f"{error}") from error
    log.info("run %d: done", run_id)
    return RunOutcome(run_id, reports, summary, view, verdict)


def previous_run(store: Store, view: RunView, gates: GateSettings) -> Previous:
    """What the gates compare with: the previous run's entities as the view read them; its check results
    (read again, not kept in the view through the reports) only when a gate on new failures needs them."""
    run_id = view.previous_run_id
    if run_id is None:
        return Previous()
    results = (store.table(t.check_results, run_id)[["entity_ref", "check_id", "outcome"]]
               if gates.fail_on_new_failures or gates.fail_on_new_entity_failures else Previous().results)
    return Previous(run_id, view.previous_sources, results)


class StageClock:
    """Wall seconds of each stage of a run, as `runs.stages` keeps them."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0) + time.monotonic() - started, 3)


def _run(options: RunOptions, store: Store, lock: RunLock, run_id: int, sources, clock: StageClock,
         snapshot: PagerDutyState | AccountsState | None = None) -> RunBundle:
    """Crawl, collect (unless the `snapshot` read already is PagerDuty's state), evaluate and store one run; a
    failure is recorded on the run before it is raised. Between stages the run stops if it has lost its lock."""
    try:
        log.info("run %d: crawling %d catalog source(s)", run_id, len(sources))
        with clock("crawl"), options.progress.stage("crawl", "files") as advance:
            catalog = crawl(list(sources), crawl_settings(options.config), advance)
        lock.ensure()
        log.info("run %d: %d entities, %d findings; collecting PagerDuty", run_id, len(catalog.entities),
                 len(catalog.findings))
        with clock("collect"):
            state = snapshot or pagerduty_state(options, wanted_services(catalog, options.config), catalog.entities)
        lock.ensure()
        now = parse_time(state.collected_at) if options.snapshot else datetime.now(timezone.utc)
        log.info("run %d: evaluating facts, checks and scorecards", run_id)
        with clock("evaluate"):
            bundle = evaluate_run(options.config, catalog, state, now or datetime.now(timezone.utc))
        del catalog, state, snapshot  # what the bundle does not hold is not needed any more
        for finding in bundle.findings:
            if finding.code == "standard-unknown":
                log.warning("%s", finding)
        log.info("run %d: storing %d results", run_id, len(bundle.results))
        store.save_run(run_id, bundle, stages=clock.seconds)
        return bundle
    except InsightsError as error:
        store.fail_run(run_id, str(error))
        raise
    except BaseException as error:
        store.fail_run(run_id, interruption(error))
        raise


def summarise(bundle) -> dict:
    results = bundle.results
    applicable = results[results["outcome"] != "not-applicable"]
    counts = applicable["outcome"].value_counts().to_dict()
    owners = {e.ref: display_name(e.owner) for e in bundle.entities}
    failing = applicable[applicable["outcome"] == "fail"]
    by_team = failing["entity_ref"].map(lambda r: owners.get(r) or "(no owner)").value_counts()
    return {"entities": len({e.ref for e in bundle.entities}), "findings": len(bundle.findings),
            "passed": counts.get("pass", 0), "failed": counts.get("fail", 0), "unknown": counts.get("unknown", 0),
            "waived": counts.get("waived", 0), "worst_teams": list(by_team.head(3).items())}
