"""delta storage: per-run fact list; per-entity tables keyed entity first for "as of" reads

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


REKEYED = [  # table, old run-first unique index, old entity index, new entity-first unique index
    ("fact_values", "ix_fact_values_run_entity_fact", None, "ix_fact_values_entity_fact_run",
     ["entity_ref", "fact_id", "run_id"]),
    ("check_results", "ix_check_results_run_entity_check", "ix_check_results_entity_run",
     "ix_check_results_entity_check_run", ["entity_ref", "check_id", "run_id"]),
    ("scorecard_results", "ix_scorecard_results_run_entity", "ix_scorecard_results_entity_run",
     "ix_scorecard_results_entity_card_run", ["entity_ref", "scorecard_id", "run_id"]),
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        # MySQL keeps a foreign key's column at the front of some index, and the run-first indexes dropped
        # below are those: the bulk tables' keys on run_id go first (elsewhere revision 0003 drops them).
        for table in (rekeyed[0] for rekeyed in REKEYED):
            for key in sa.inspect(bind).get_foreign_keys(table):
                op.drop_constraint(key["name"], table, type_="foreignkey")
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("fact_ids", sa.Text(), nullable=True))
    for table, old_unique, old_entity, new, columns in REKEYED:
        op.drop_index(old_unique, table)
        if old_entity:
            op.drop_index(old_entity, table)
        op.create_index(new, table, columns, unique=True)


def downgrade() -> None:
    for table, old_unique, old_entity, new, columns in REKEYED:
        op.drop_index(new, table)
        op.create_index(old_unique, table, ["run_id", columns[0], columns[1]], unique=True)
        if old_entity:
            op.create_index(old_entity, table, ["entity_ref", "run_id"])
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("fact_ids")
