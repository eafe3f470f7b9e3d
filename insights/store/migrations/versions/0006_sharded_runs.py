"""sharded runs

The shards of one run (`insights run --shard K/N --run-key KEY`) land their share of the catalog in
staging tables under the run's key; `insights finalize` stores the run from them and clears them.

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def _share() -> list:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in ("sharded_run_id", "shard", "position")]


def upgrade() -> None:
    op.create_table(
        "sharded_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("shard_count", sa.Integer(), nullable=True),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sharded_runs_key", "sharded_runs", ["run_key"], unique=True)
    op.create_table(
        "run_shards",
        sa.Column("sharded_run_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source_count", sa.Integer(), nullable=True),
        sa.Column("sources_digest", sa.String(64), nullable=True),
        sa.Column("entity_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["sharded_run_id"], ["sharded_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sharded_run_id", "shard"),
    )
    op.create_table(
        "staged_sources",
        *_share(),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_staged_sources_run_shard_position", "staged_sources",
                    ["sharded_run_id", "shard", "position"], unique=True)
    op.create_table(
        "staged_items",
        *_share(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_staged_items_run_shard_position_seq", "staged_items",
                    ["sharded_run_id", "shard", "position", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_staged_items_run_shard_position_seq", table_name="staged_items")
    op.drop_table("staged_items")
    op.drop_index("ix_staged_sources_run_shard_position", table_name="staged_sources")
    op.drop_table("staged_sources")
    op.drop_table("run_shards")
    op.drop_index("ix_sharded_runs_key", table_name="sharded_runs")
    op.drop_table("sharded_runs")
