"""known fact values

A run stores no row for a fact whose value is unknown until the fact has had a value (`delta.changed`), so
`latest_fact_values` shows known values only, whether the unknown one has a row (a value that became
unknown) or none.

Revision ID: 0010
Revises: 0009
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

VIEW = "latest_fact_values"


def _views(known_facts_only: bool) -> dict[str, str]:
    """Revision 0008's view queries (one definition of each view)."""
    spec = importlib.util.spec_from_file_location("latest_views_0008", Path(__file__).with_name("0008_latest_views.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._views(op.get_bind().dialect.name, known_facts_only)


def _replace(known_facts_only: bool) -> None:
    op.execute(f"DROP VIEW IF EXISTS {VIEW}")
    op.execute(f"CREATE VIEW {VIEW} AS {_views(known_facts_only)[VIEW]}")


def upgrade() -> None:
    _replace(True)


def downgrade() -> None:
    _replace(False)
