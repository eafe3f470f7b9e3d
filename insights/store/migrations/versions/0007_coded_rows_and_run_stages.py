"""coded rows and run stages

The change-only tables hold numbers: names (entity refs, fact, check and scorecard ids) are stored once in
`names`, texts (fact values, reasons, fixes) once in `texts`, and rows refer to them by id, with the keys as
primary key (SQLite keeps such a table as its own index). Existing rows are recoded run by run, both ways.
`runs.stages` holds each stage's wall seconds (JSON).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# table: (its two keys, its text values, its other values)
DELTA = {
    "fact_values": (("entity_ref", "fact_id"), ("value",), ()),
    "check_results": (("entity_ref", "check_id"), ("reason", "fix"), ("outcome",)),
    "scorecard_results": (("entity_ref", "scorecard_id"), (), ("level", "score", "passed", "failed", "unknown")),
}
STORED = {"entity_ref": "entity_key", "fact_id": "fact_key", "check_id": "check_key", "scorecard_id": "scorecard_key",
          "value": "value_key", "reason": "reason_key", "fix": "fix_key"}
PLAIN_INDEX = {"fact_values": "ix_fact_values_entity_fact_run", "check_results": "ix_check_results_entity_check_run",
               "scorecard_results": "ix_scorecard_results_entity_card_run"}


def _others(table: str) -> list:
    if table == "check_results":
        return [sa.Column("outcome", sa.String(16), nullable=False)]
    if table == "scorecard_results":
        return [sa.Column("level", sa.String(63), nullable=True), sa.Column("score", sa.Float(), nullable=True),
                *(sa.Column(c, sa.Integer(), nullable=False) for c in ("passed", "failed", "unknown"))]
    return []


def _create_coded(table: str, name: str) -> None:
    keys, texts, _ = DELTA[table]
    op.create_table(
        name,
        sa.Column("run_id", sa.Integer(), nullable=False),
        *(sa.Column(STORED[k], sa.Integer(), nullable=False) for k in keys),
        *(sa.Column(STORED[c], sa.Integer(), nullable=True) for c in texts),
        *_others(table),
        sa.PrimaryKeyConstraint(*(STORED[k] for k in keys), "run_id", name=f"pk_{table}"),
        sqlite_with_rowid=False,
    )


def _create_plain(table: str, name: str) -> None:
    keys, texts, _ = DELTA[table]
    op.create_table(
        name,
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column(keys[0], sa.String(255), nullable=False),
        sa.Column(keys[1], sa.String(127), nullable=False),
        *(sa.Column(c, sa.Text(), nullable=True) for c in texts),
        *_others(table),
    )


class _Dictionary:
    """`names` or `texts`: text -> id, ids given in order; new entries written as they are met."""

    def __init__(self, bind, table: str, column: str):
        self.bind, self.column = bind, column
        self.table = sa.table(table, sa.column("id"), sa.column(column))
        self.ids = {text: i for i, text in bind.execute(sa.select(self.table.c.id, self.table.c[column]))}
        self.texts = {i: text for text, i in self.ids.items()}

    def ids_of(self, texts) -> None:
        new = sorted({text for text in texts if text is not None and text not in self.ids})
        if new:
            first = max(self.ids.values(), default=0) + 1
            rows = [{"id": first + n, self.column: text} for n, text in enumerate(new)]
            self.bind.execute(self.table.insert(), rows)
            self.ids.update({row[self.column]: row["id"] for row in rows})


def _copy(bind, source: str, target: str, columns: list[str], convert) -> None:
    """Every row of `source` into `target`, one run at a time; `convert` maps a run's rows (dicts)."""
    runs = [r for (r,) in bind.execute(sa.text(f"SELECT DISTINCT run_id FROM {source} ORDER BY run_id"))]
    into = sa.table(target, *(sa.column(c) for c in columns))
    for run_id in runs:
        query = sa.text(f"SELECT * FROM {source} WHERE run_id = {int(run_id)}")
        rows = [dict(r) for r in bind.execute(query).mappings()]
        converted = convert(rows)
        if converted:
            bind.execute(into.insert(), converted)


def _coded_columns(table: str) -> list[str]:
    keys, texts, others = DELTA[table]
    return ["run_id", *(STORED[c] for c in keys + texts), *others]


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("stages", sa.Text(), nullable=True))
    op.create_table("names", sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("name", sa.String(255), nullable=False), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_names_name", "names", ["name"], unique=True)
    op.create_table("texts", sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("text", sa.Text(), nullable=False), sa.PrimaryKeyConstraint("id"))
    bind = op.get_bind()
    names, texts = _Dictionary(bind, "names", "name"), _Dictionary(bind, "texts", "text")
    for table, (keys, text_columns, others) in DELTA.items():
        def convert(rows, keys=keys, text_columns=text_columns, others=others):
            names.ids_of(row[k] for row in rows for k in keys)
            texts.ids_of(row[c] for row in rows for c in text_columns)
            return [{"run_id": row["run_id"], **{STORED[k]: names.ids[row[k]] for k in keys},
                     **{STORED[c]: texts.ids.get(row[c]) for c in text_columns}, **{c: row[c] for c in others}}
                    for row in rows]
        _create_coded(table, f"{table}_coded")
        _copy(bind, table, f"{table}_coded", _coded_columns(table), convert)
        op.drop_table(table)
        op.rename_table(f"{table}_coded", table)


def downgrade() -> None:
    bind = op.get_bind()
    names, texts = _Dictionary(bind, "names", "name"), _Dictionary(bind, "texts", "text")
    for table, (keys, text_columns, others) in DELTA.items():
        def convert(rows, keys=keys, text_columns=text_columns, others=others):
            return [{"run_id": row["run_id"], **{k: names.texts[row[STORED[k]]] for k in keys},
                     **{c: texts.texts.get(row[STORED[c]]) for c in text_columns}, **{c: row[c] for c in others}}
                    for row in rows]
        _create_plain(table, f"{table}_plain")
        _copy(bind, table, f"{table}_plain", ["run_id", *keys, *text_columns, *others], convert)
        op.drop_table(table)
        op.rename_table(f"{table}_plain", table)
        op.create_index(PLAIN_INDEX[table], table, [keys[0], keys[1], "run_id"], unique=True)
    op.drop_table("texts")
    op.drop_index("ix_names_name", table_name="names")
    op.drop_table("names")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("stages")
