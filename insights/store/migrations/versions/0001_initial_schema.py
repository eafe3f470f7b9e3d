"""initial schema

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('tool_version', sa.String(length=32), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('pagerduty_url', sa.String(length=255), nullable=True),
    sa.Column('pagerduty_collected_at', sa.String(length=40), nullable=True),
    sa.Column('pagerduty_requests', sa.Text(), nullable=True),
    sa.Column('entity_count', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index('ix_runs_status_id', ['status', 'id'], unique=False)

    op.create_table('check_results',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('entity_ref', sa.String(length=255), nullable=False),
    sa.Column('check_id', sa.String(length=127), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('fix', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.create_index('ix_check_results_entity_run', ['entity_ref', 'run_id'], unique=False)
        batch_op.create_index('ix_check_results_run_entity_check', ['run_id', 'entity_ref', 'check_id'], unique=True)

    op.create_table('checks',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=127), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('defined_at', sa.String(length=1024), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.create_index('ix_checks_run_check', ['run_id', 'check_id'], unique=True)

    op.create_table('entities',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=63), nullable=False),
    sa.Column('namespace', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('owner', sa.String(length=255), nullable=True),
    sa.Column('system', sa.String(length=255), nullable=True),
    sa.Column('lifecycle', sa.String(length=63), nullable=True),
    sa.Column('type', sa.String(length=63), nullable=True),
    sa.Column('source', sa.String(length=512), nullable=True),
    sa.Column('repository', sa.String(length=512), nullable=True),
    sa.Column('path', sa.String(length=1024), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.create_index('ix_entities_owner_run', ['owner', 'run_id'], unique=False)
        batch_op.create_index('ix_entities_run_ref', ['run_id', 'ref'], unique=True)

    op.create_table('fact_values',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('entity_ref', sa.String(length=255), nullable=False),
    sa.Column('fact_id', sa.String(length=127), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('fact_values', schema=None) as batch_op:
        batch_op.create_index('ix_fact_values_run_entity_fact', ['run_id', 'entity_ref', 'fact_id'], unique=True)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=63), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=512), nullable=True),
    sa.Column('path', sa.String(length=1024), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('entity_ref', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_run', ['run_id'], unique=False)

    op.create_table('organisation_results',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('service_id', sa.String(length=32), nullable=False),
    sa.Column('service_name', sa.String(length=255), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('organisation_results', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_results_run', ['run_id', 'kind'], unique=False)

    op.create_table('scorecard_results',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('entity_ref', sa.String(length=255), nullable=False),
    sa.Column('scorecard_id', sa.String(length=127), nullable=False),
    sa.Column('level', sa.String(length=63), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('unknown', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('scorecard_results', schema=None) as batch_op:
        batch_op.create_index('ix_scorecard_results_entity_run', ['entity_ref', 'run_id'], unique=False)
        batch_op.create_index('ix_scorecard_results_run_entity', ['run_id', 'entity_ref', 'scorecard_id'], unique=True)

    op.create_table('scorecards',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.String(length=127), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('levels', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE')
    )
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.create_index('ix_scorecards_run_scorecard', ['run_id', 'scorecard_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.drop_index('ix_scorecards_run_scorecard')

    op.drop_table('scorecards')
    with op.batch_alter_table('scorecard_results', schema=None) as batch_op:
        batch_op.drop_index('ix_scorecard_results_run_entity')
        batch_op.drop_index('ix_scorecard_results_entity_run')

    op.drop_table('scorecard_results')
    with op.batch_alter_table('organisation_results', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_results_run')

    op.drop_table('organisation_results')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_run')

    op.drop_table('findings')
    with op.batch_alter_table('fact_values', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_values_run_entity_fact')

    op.drop_table('fact_values')
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index('ix_entities_run_ref')
        batch_op.drop_index('ix_entities_owner_run')

    op.drop_table('entities')
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_index('ix_checks_run_check')

    op.drop_table('checks')
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.drop_index('ix_check_results_run_entity_check')
        batch_op.drop_index('ix_check_results_entity_run')

    op.drop_table('check_results')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_status_id')

    op.drop_table('runs')
