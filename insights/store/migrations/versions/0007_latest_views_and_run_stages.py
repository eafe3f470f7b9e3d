"""latest views and run stages

Views for BI tools (Grafana, Metabase, Superset): the picture as of the newest succeeded run in plain
rows, rebuilt from the change-only tables the way `Store` reads a run (each key's newest row at or before
the run, for the run's entities, checks, scorecards and facts). `runs.stages` holds each stage's wall
seconds (JSON).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VIEWS = ("run_summary", "latest_check_results", "latest_fact_values", "latest_scorecard_results")
LATEST = "(SELECT max(id) FROM runs WHERE status = 'succeeded')"


def _team(dialect: str) -> str:
    """The owner ref as reports name the team: `group:default/payments` -> `payments`, another namespace kept."""
    find = "strpos" if dialect == "postgresql" else "instr"
    rest = f"substr(e.owner, {find}(e.owner, ':') + 1)"
    return f"CASE WHEN {rest} LIKE 'default/%' THEN substr({rest}, 9) ELSE {rest} END"


def _newest(table: str, key: str) -> str:
    """The row is its key's newest at or before the latest run (the change-only tables keep one per change)."""
    return (f"d.run_id = (SELECT max(p.run_id) FROM {table} p WHERE p.entity_ref = d.entity_ref "
            f"AND p.{key} = d.{key} AND p.run_id <= e.run_id)")


def _entity_columns(dialect: str) -> str:
    return f"e.run_id, d.run_id AS changed_in_run, d.entity_ref, e.kind, e.owner, {_team(dialect)} AS team"


def _run_has_fact(dialect: str) -> str:
    """The fact is one the run computed (`runs.fact_ids`, a JSON list; NULL on runs older than the list)."""
    listed = {"sqlite": "d.fact_id IN (SELECT value FROM json_each(r.fact_ids))",
              "postgresql": "d.fact_id IN (SELECT json_array_elements_text(CAST(r.fact_ids AS json)))"}.get(
        dialect, "JSON_CONTAINS(r.fact_ids, JSON_QUOTE(d.fact_id))")
    return f"(r.fact_ids IS NULL OR r.fact_ids = '' OR {listed})"


def _views(dialect: str) -> dict[str, str]:
    entities = f"JOIN entities e ON e.ref = d.entity_ref AND e.run_id = {LATEST}"
    return {
        "latest_check_results": f"""
            SELECT {_entity_columns(dialect)}, d.check_id, c.name AS check_name, d.outcome, d.reason, d.fix
            FROM check_results d {entities}
            JOIN checks c ON c.run_id = e.run_id AND c.check_id = d.check_id
            WHERE {_newest("check_results", "check_id")}""",
        "latest_fact_values": f"""
            SELECT {_entity_columns(dialect)}, d.fact_id, d.value
            FROM fact_values d {entities}
            JOIN runs r ON r.id = e.run_id
            WHERE {_newest("fact_values", "fact_id")} AND {_run_has_fact(dialect)}""",
        "latest_scorecard_results": f"""
            SELECT {_entity_columns(dialect)}, d.scorecard_id, s.name AS scorecard_name, d.level, d.score,
                   d.passed, d.failed, d.unknown
            FROM scorecard_results d {entities}
            JOIN scorecards s ON s.run_id = e.run_id AND s.scorecard_id = d.scorecard_id
            WHERE {_newest("scorecard_results", "scorecard_id")}""",
        "run_summary": f"""
            SELECT r.id AS run_id, r.started_at, r.finished_at, r.status, r.tool_version, r.config_hash,
                   r.entity_count, r.stages, r.pagerduty_requests,
                   (SELECT count(*) FROM findings f WHERE f.run_id = r.id) AS findings,
                   {", ".join(f"(SELECT count(*) FROM latest_check_results c WHERE c.outcome = '{outcome}') AS {name}"
                              for outcome, name in (("pass", "passed"), ("fail", "failed"), ("unknown", "unknown"),
                                                    ("waived", "waived"), ("not-applicable", "not_applicable")))}
            FROM runs r
            WHERE r.id = {LATEST}""",
    }


def create_views() -> None:
    for name, query in _views(op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def drop_views() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("stages", sa.Text(), nullable=True))
    create_views()


def downgrade() -> None:
    drop_views()
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("stages")
