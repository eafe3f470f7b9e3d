"""bulk tables without a foreign key on run_id

Checking the key for each of hundreds of thousands of rows cost PostgreSQL more than writing them.
The store writes run_id itself and retention deletes a run's rows table by table.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BULK = ("fact_values", "check_results", "scorecard_results")
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in BULK:
        names = [key["name"] for key in inspector.get_foreign_keys(table)]
        # SQLite may keep the key unnamed: the convention names it, and batch mode rebuilds the table without it
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            for name in names:
                batch.drop_constraint(name or f"fk_{table}_run_id_runs", type_="foreignkey")


def downgrade() -> None:
    for table in BULK:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(f"fk_{table}_run_id_runs", "runs", ["run_id"], ["id"], ondelete="CASCADE")
