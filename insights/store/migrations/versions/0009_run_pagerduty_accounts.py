"""run pagerduty accounts

`runs.pagerduty_accounts` holds, per PagerDuty account the run read (JSON list), its API URL, collection time,
request count and the source that served its incident response.

Revision ID: 0009
Revises: 0008
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("pagerduty_accounts", sa.Text(), nullable=True))


def _views():
    """Migration 0008, whose views over `runs` SQLite must not see while the table is rebuilt."""
    path = Path(__file__).with_name("0008_latest_views.py")
    spec = importlib.util.spec_from_file_location("latest_views_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    views = _views()
    views.drop_views()
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("pagerduty_accounts")
    views.create_views()
