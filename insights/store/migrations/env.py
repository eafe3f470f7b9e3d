"""Alembic environment: runs on the connection the application hands over, never on its own."""

from alembic import context

from insights.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
