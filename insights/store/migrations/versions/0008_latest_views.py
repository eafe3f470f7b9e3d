"""latest views

Views for BI tools (Grafana, Metabase, Superset): the picture as of the newest succeeded run in plain
rows, rebuilt from the change-only tables the way `Store` reads a run (each key's newest row at or before
the run, for the run's entities, checks, scorecards and facts), with names and texts in place of their ids.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

VIEWS = ("run_summary", "latest_check_results", "latest_fact_values", "latest_scorecard_results")
LATEST = "(SELECT max(id) FROM runs WHERE status = 'succeeded')"
OUTCOMES = {"pass": "passed", "fail": "failed", "unknown": "unknown", "waived": "waived",
            "not-applicable": "not_applicable"}


def _team(dialect: str) -> str:
    """The owner ref as reports name the team: `group:default/payments` -> `payments`, another namespace kept."""
    find = "strpos" if dialect == "postgresql" else "instr"
    rest = f"substr(e.owner, {find}(e.owner, ':') + 1)"
    return f"CASE WHEN {rest} LIKE 'default/%' THEN substr({rest}, 9) ELSE {rest} END"


def _newest(table: str, key: str) -> str:
    """The row is its key's newest at or before the latest run (the change-only tables keep one per change)."""
    return (f"d.run_id = (SELECT max(p.run_id) FROM {table} p WHERE p.entity_key = d.entity_key "
            f"AND p.{key} = d.{key} AND p.run_id <= e.run_id)")


def _entity_columns(dialect: str) -> str:
    return f"e.run_id, d.run_id AS changed_in_run, e.ref AS entity_ref, e.kind, e.owner, {_team(dialect)} AS team"


def _named(key: str) -> str:
    """The row's entity in the latest run, and the name of its other key (`k.name`)."""
    return (f"JOIN names n ON n.id = d.entity_key JOIN entities e ON e.ref = n.name AND e.run_id = {LATEST} "
            f"JOIN names k ON k.id = d.{key}")


def _run_has_fact(dialect: str) -> str:
    """The fact is one the run computed (`runs.fact_ids`, a JSON list; NULL on runs older than the list). The
    list is read once, as a set of name ids, not once per row."""
    facts = f"(SELECT fact_ids FROM runs WHERE id = {LATEST})"
    listed = {"sqlite": f"SELECT value FROM json_each({facts})",
              "postgresql": f"SELECT json_array_elements_text(CAST({facts} AS json))"}.get(
        dialect, f"SELECT j.fact FROM runs f, JSON_TABLE(f.fact_ids, '$[*]' COLUMNS (fact VARCHAR(255) "
                 f"CHARACTER SET utf8mb4 PATH '$')) j WHERE f.id = {LATEST}")
    return (f"({facts} IS NULL OR {facts} = '' OR d.fact_key IN (SELECT l.id FROM names l WHERE l.name IN "
            f"({listed})))")


def _views(dialect: str, known_facts_only: bool = False) -> dict[str, str]:
    """The views' queries; `known_facts_only` (revision 0010): no row for a fact whose value is unknown."""
    def text(column: str, alias: str) -> str:
        return f"LEFT JOIN texts {alias} ON {alias}.id = d.{column}"

    return {
        "latest_check_results": f"""
            SELECT {_entity_columns(dialect)}, c.check_id, c.name AS check_name, d.outcome, rt.text AS reason,
                   ft.text AS fix
            FROM check_results d {_named("check_key")}
            JOIN checks c ON c.run_id = e.run_id AND c.check_id = k.name
            {text("reason_key", "rt")} {text("fix_key", "ft")}
            WHERE {_newest("check_results", "check_key")}""",
        "latest_fact_values": f"""
            SELECT {_entity_columns(dialect)}, k.name AS fact_id, vt.text AS value
            FROM fact_values d {_named("fact_key")}
            {text("value_key", "vt")}
            WHERE {_newest("fact_values", "fact_key")} AND {_run_has_fact(dialect)}
            {"AND d.value_key IS NOT NULL" if known_facts_only else ""}""",
        "latest_scorecard_results": f"""
            SELECT {_entity_columns(dialect)}, s.scorecard_id, s.name AS scorecard_name, d.level, d.score,
                   d.passed, d.failed, d.unknown
            FROM scorecard_results d {_named("scorecard_key")}
            JOIN scorecards s ON s.run_id = e.run_id AND s.scorecard_id = k.name
            WHERE {_newest("scorecard_results", "scorecard_key")}""",
        "run_summary": f"""
            SELECT r.id AS run_id, r.started_at, r.finished_at, r.status, r.tool_version, r.config_hash,
                   r.entity_count, r.stages, r.pagerduty_requests,
                   (SELECT count(*) FROM findings f WHERE f.run_id = r.id) AS findings,
                   {", ".join(f"coalesce(c.{name}, 0) AS {name}" for name in OUTCOMES.values())}
            FROM runs r CROSS JOIN (
                SELECT {", ".join(f"sum(CASE WHEN outcome = '{outcome}' THEN 1 ELSE 0 END) AS {name}"
                                  for outcome, name in OUTCOMES.items())}
                FROM latest_check_results) c
            WHERE r.id = {LATEST}""",
    }


def create_views() -> None:
    for name, query in _views(op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def drop_views() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    create_views()


def downgrade() -> None:
    drop_views()
