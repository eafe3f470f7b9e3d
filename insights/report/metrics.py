"""The run as metrics: an OpenMetrics text file for Prometheus' node-exporter textfile collector (which
reads the files of one folder on every scrape; all metrics are gauges describing the last run, so the
file parses as the classic text format too). Label values from catalogs and PagerDuty are cleaned and
escaped as the format requires; the file is replaced atomically, as the collector's docs ask."""

from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import timezone
from pathlib import Path

from insights.errors import OutputError
from insights.report.escape import clean
from insights.report.view import RunView

PREFIX = "insights_"


def _label(value) -> str:
    return clean(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Families:
    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, help_text: str, samples) -> None:
        """One gauge family; `samples` is an iterable of (labels dict, value); absent values are left out."""
        rows = [(labels, value) for labels, value in samples
                if value is not None and not (isinstance(value, float) and math.isnan(value))]
        self.lines += [f"# HELP {PREFIX}{name} {help_text}", f"# TYPE {PREFIX}{name} gauge"]
        for labels, value in rows:
            text = ",".join(f'{key}="{_label(v)}"' for key, v in labels.items())
            self.lines.append(f"{PREFIX}{name}{{{text}}} {_number(value)}" if text else f"{PREFIX}{name} {_number(value)}")


def _number(value) -> str:
    return str(int(value)) if isinstance(value, bool) or float(value).is_integer() else repr(float(value))


def _seconds(moment) -> float | None:
    if moment is None or not hasattr(moment, "timestamp"):
        return None
    return (moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment).timestamp()


def render_metrics(view: RunView) -> str:
    run, out = view.run, _Families()
    started, finished = _seconds(run.get("started_at")), _seconds(run.get("finished_at"))
    out.family("run_id", "Id of the run these metrics describe.", [({}, int(run["id"]))])
    out.family("run_timestamp_seconds", "When the run started (Unix time).", [({}, started)])
    out.family("run_duration_seconds", "Wall time of the run, crawl to stored results.",
               [({}, finished - started if started and finished else None)])
    stages = run.get("stages")
    stages = json.loads(stages) if isinstance(stages, str) else (stages or {})
    out.family("run_stage_duration_seconds", "Wall time of each stage of the run.",
               [({"stage": stage}, seconds) for stage, seconds in sorted(stages.items())])
    summary = view.summary()
    out.family("entities", "Entities in the catalog.", [({}, summary["entities"])])
    out.family("entities_checked", "Entities at least one check applies to.", [({}, summary["checked"])])
    scores = view.scores.assign(team=view.scores["entity_ref"].map(view.members.set_index("ref")["team"]))
    means = scores.groupby(["scorecard_id", "team"])["score"].mean()
    out.family("scorecard_mean_score", "Mean scorecard score of a team's entities (0-100).",
               [({"scorecard": card, "team": team}, round(float(v), 2)) for (card, team), v in means.items()])
    levels = scores.assign(level=scores["level"].fillna("none")).groupby(["scorecard_id", "team", "level"]).size()
    out.family("scorecard_entities", "A team's entities at each scorecard level (`none`: no level reached).",
               [({"scorecard": card, "team": team, "level": level}, int(n)) for (card, team, level), n in levels.items()])
    stats = view.check_stats()
    out.family("check_pass_ratio", "Share of a check's known results (pass or fail) that pass (0-1).",
               [({"check": check}, round(rate / 100, 4)) for check, rate in stats["pass_rate"].items()])
    out.family("check_results", "A check's results by outcome.",
               [({"check": check, "outcome": outcome}, int(stats.loc[check, outcome]))
                for check in stats.index for outcome in ("pass", "fail", "unknown", "waived")])
    requests = run.get("pagerduty_requests")
    requests = json.loads(requests) if isinstance(requests, str) else (requests or {})
    out.family("pagerduty_requests", "Requests the run sent to PagerDuty, per endpoint.",
               [({"endpoint": endpoint}, int(n)) for endpoint, n in sorted(requests.items())])
    severities = view.findings["severity"].value_counts() if len(view.findings) else {}
    out.family("findings", "Catalog findings of the run, per severity.",
               [({"severity": severity}, int(severities.get(severity, 0))) for severity in ("error", "warning")])
    return "\n".join(out.lines) + "\n# EOF\n"


def write_metrics(view: RunView, path) -> Path:
    """The metrics file at `path`, replaced whole (a scrape never reads half a file)."""
    path = Path(path)
    if path.exists() and not path.is_file():  # renaming over /dev/null or a pipe would replace the device itself
        raise OutputError(f"cannot write the metrics file {path}: not a regular file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(render_metrics(view))
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise OutputError(f"cannot write the metrics file {path}: {error.strerror}") from error
    return path
