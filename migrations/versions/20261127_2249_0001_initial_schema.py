"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 22:49:13.722991
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mrn', sa.String(length=32), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('mrn', name=op.f('uq_patients_mrn'))
    )
    op.create_table('payers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('payer_type', sa.Enum('medicare', 'medicare_advantage', 'medicaid', 'commercial', name='payer_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('edi_payer_id', sa.String(length=80), nullable=True),
    sa.Column('timely_filing_days', sa.Integer(), nullable=False),
    sa.Column('auth_lead_days', sa.Integer(), nullable=False),
    sa.Column('auth_turnaround_days', sa.Integer(), nullable=False),
    sa.Column('reverify_days', sa.Integer(), nullable=False),
    sa.Column('auth_units_warn_pct', sa.Integer(), nullable=False),
    sa.Column('ar_followup_days', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payers')),
    sa.UniqueConstraint('name', name=op.f('uq_payers_name'))
    )
    with op.batch_alter_table('payers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payers_edi_payer_id'), ['edi_payer_id'], unique=False)

    op.create_table('providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('npi', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('specialty', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    sa.UniqueConstraint('npi', name=op.f('uq_providers_npi'))
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('coverages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('plan_name', sa.String(length=120), nullable=False),
    sa.Column('member_id', sa.String(length=80), nullable=False),
    sa.Column('group_number', sa.String(length=50), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('eligibility_status', sa.Enum('unverified', 'active', 'inactive', 'needs_info', name='eligibility_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deductible_remaining', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('oop_remaining', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('coinsurance_pct', sa.Integer(), nullable=True),
    sa.Column('copay', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('is_pa_required', sa.Boolean(), nullable=True),
    sa.Column('benefit', sa.String(length=20), nullable=True),
    sa.CheckConstraint('rank BETWEEN 1 AND 3', name=op.f('ck_coverages_rank_range')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_coverages_patient_id_patients')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_coverages_payer_id_payers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverages'))
    )
    with op.batch_alter_table('coverages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverages_patient_id'), ['patient_id'], unique=False)

    op.create_table('payer_appeal_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('decision_days', sa.Integer(), nullable=True),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_payer_appeal_levels_level_range')),
    sa.CheckConstraint('window_days > 0', name=op.f('ck_payer_appeal_levels_window_positive')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_payer_appeal_levels_payer_id_payers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payer_appeal_levels')),
    sa.UniqueConstraint('payer_id', 'level', name='payer_level')
    )
    op.create_table('therapy_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('drug_code', sa.String(length=5), nullable=False),
    sa.Column('drug_name', sa.String(length=120), nullable=False),
    sa.Column('dose', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('dose_unit', sa.String(length=8), nullable=False),
    sa.Column('frequency', sa.String(length=60), nullable=False),
    sa.Column('planned_infusions', sa.Integer(), nullable=False),
    sa.Column('icd10_codes', sa.String(length=120), nullable=False),
    sa.Column('site_of_care', sa.String(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_therapy_orders_patient_id_patients')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_therapy_orders_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_therapy_orders'))
    )
    with op.batch_alter_table('therapy_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_therapy_orders_patient_id'), ['patient_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('role', sa.Enum('coordinator', 'denial_specialist', 'ar_specialist', 'supervisor', 'admin', name='user_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('api_token_hash', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_users_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('api_token_hash', name=op.f('uq_users_api_token_hash')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('context', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_audit_events_patient_id_patients')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_patient_at', ['patient_id', 'at'], unique=False)

    op.create_table('authorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('auth_number', sa.String(length=50), nullable=True),
    sa.Column('drug_code', sa.String(length=5), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'pending', 'approved', 'partially_approved', 'denied', 'cancelled', 'expired', 'not_required', name='authorization_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('authorized_units', sa.Integer(), nullable=True),
    sa.Column('authorized_visits', sa.Integer(), nullable=True),
    sa.Column('units_used', sa.Integer(), nullable=False),
    sa.Column('visits_used', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payer_reference', sa.String(length=80), nullable=True),
    sa.CheckConstraint('units_used >= 0', name=op.f('ck_authorizations_units_used_nonneg')),
    sa.CheckConstraint('visits_used >= 0', name=op.f('ck_authorizations_visits_used_nonneg')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverages.id'], name=op.f('fk_authorizations_coverage_id_coverages')),
    sa.ForeignKeyConstraint(['order_id'], ['therapy_orders.id'], name=op.f('fk_authorizations_order_id_therapy_orders')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_authorizations_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorizations'))
    )
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorizations_patient_id'), ['patient_id'], unique=False)

    op.create_table('queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('payer_ids', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('strategy', sa.Enum('manual', 'round_robin', 'least_loaded', name='assignment_strategy', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_skill_matched', sa.Boolean(), nullable=False),
    sa.Column('last_assigned_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['last_assigned_user_id'], ['users.id'], name=op.f('fk_queues_last_assigned_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('slug', name=op.f('uq_queues_slug'))
    )
    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('payer', 'denial_category', 'drug_family', 'work_kind', name='skill_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_skills_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('user_id', 'kind', 'value', name='user_kind_value')
    )
    op.create_table('infusion_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('authorization_id', sa.Integer(), nullable=True),
    sa.Column('scheduled_date', sa.Date(), nullable=False),
    sa.Column('setting', sa.Enum('facility', 'office', name='care_setting', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'completed', 'cancelled', name='visit_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('has_coding_errors', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['authorization_id'], ['authorizations.id'], name=op.f('fk_infusion_visits_authorization_id_authorizations')),
    sa.ForeignKeyConstraint(['order_id'], ['therapy_orders.id'], name=op.f('fk_infusion_visits_order_id_therapy_orders')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_infusion_visits_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_infusion_visits'))
    )
    with op.batch_alter_table('infusion_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_infusion_visits_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_infusion_visits_scheduled_date'), ['scheduled_date'], unique=False)

    op.create_table('queue_members',
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_members_queue_id_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_queue_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', 'user_id', name=op.f('pk_queue_members'))
    )
    op.create_table('administrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('route', sa.String(length=12), nullable=False),
    sa.Column('drug_code', sa.String(length=5), nullable=True),
    sa.Column('dose', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('dose_unit', sa.String(length=8), nullable=True),
    sa.Column('discarded', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stop_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('site', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['infusion_visits.id'], name=op.f('fk_administrations_visit_id_infusion_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_administrations'))
    )
    with op.batch_alter_table('administrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_administrations_visit_id'), ['visit_id'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_number', sa.String(length=38), nullable=False),
    sa.Column('payer_claim_number', sa.String(length=50), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=True),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('authorization_id', sa.Integer(), nullable=True),
    sa.Column('service_from', sa.Date(), nullable=False),
    sa.Column('service_to', sa.Date(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', 'accepted', 'paid', 'partially_paid', 'denied', 'reversed', 'closed', name='claim_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('billed_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('adjustment_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('patient_responsibility', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('balance', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('last_status_code', sa.String(length=10), nullable=True),
    sa.Column('last_status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authorization_id'], ['authorizations.id'], name=op.f('fk_claims_authorization_id_authorizations')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverages.id'], name=op.f('fk_claims_coverage_id_coverages')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_claims_patient_id_patients')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_claims_payer_id_payers')),
    sa.ForeignKeyConstraint(['visit_id'], ['infusion_visits.id'], name=op.f('fk_claims_visit_id_infusion_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('claim_number', name=op.f('uq_claims_claim_number'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_payer_id'), ['payer_id'], unique=False)

    op.create_table('claim_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('line_number', sa.Integer(), nullable=False),
    sa.Column('procedure_code', sa.String(length=5), nullable=False),
    sa.Column('modifiers', sa.String(length=20), nullable=False),
    sa.Column('units', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('charge', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('ndc', sa.String(length=11), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_lines_claim_id_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_lines')),
    sa.UniqueConstraint('claim_id', 'line_number', name='claim_line_number')
    )
    op.create_table('denials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('claim_line_id', sa.Integer(), nullable=True),
    sa.Column('denied_on', sa.Date(), nullable=False),
    sa.Column('group_code', sa.String(length=2), nullable=False),
    sa.Column('carc_codes', sa.String(length=60), nullable=False),
    sa.Column('rarc_codes', sa.String(length=60), nullable=False),
    sa.Column('category', sa.Enum('authorization', 'eligibility', 'medical_necessity', 'coding', 'missing_information', 'timely_filing', 'duplicate', 'cob', 'non_covered', 'pricing', 'other', name='denial_category', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_preventable', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('appeal_level', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('appeal', 'corrected_claim', 'write_off', name='denial_decision', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('outcome', sa.Enum('overturned', 'partially_overturned', 'upheld', name='denial_outcome', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('recovered_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_denials_claim_id_claims')),
    sa.ForeignKeyConstraint(['claim_line_id'], ['claim_lines.id'], name=op.f('fk_denials_claim_line_id_claim_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_denials'))
    )
    with op.batch_alter_table('denials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_denials_claim_id'), ['claim_id'], unique=False)

    op.create_table('work_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('prior_auth', 'eligibility', 'denial', 'ar_followup', name='work_item_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('new', 'gathering_info', 'submitted', 'pending_payer', 'approved', 'partially_approved', 'denied', 'peer_to_peer', 'appeal', 'cancelled', 'verifying', 'active', 'inactive', 'needs_info', 'triaged', 'appeal_drafting', 'appeal_submitted', 'overturned', 'upheld', 'corrected_claim', 'write_off', 'in_progress', 'waiting_payer', 'resolved_paid', 'resolved_denied', 'closed', name='work_item_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('coverage_id', sa.Integer(), nullable=True),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('authorization_id', sa.Integer(), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('denial_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=True),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('deadline_kind', sa.String(length=30), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('pended_until', sa.Date(), nullable=True),
    sa.Column('pended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_touched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('priority_score', sa.Float(), nullable=False),
    sa.Column('priority_override', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_work_items_amount_nonneg')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_work_items_version_positive')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_work_items_assignee_id_users')),
    sa.ForeignKeyConstraint(['authorization_id'], ['authorizations.id'], name=op.f('fk_work_items_authorization_id_authorizations')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_work_items_claim_id_claims')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverages.id'], name=op.f('fk_work_items_coverage_id_coverages')),
    sa.ForeignKeyConstraint(['denial_id'], ['denials.id'], name=op.f('fk_work_items_denial_id_denials')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_work_items_patient_id_patients')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_work_items_payer_id_payers')),
    sa.ForeignKeyConstraint(['visit_id'], ['infusion_visits.id'], name=op.f('fk_work_items_visit_id_infusion_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_items'))
    )
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index('ix_work_items_assignee_open', ['assignee_id', 'is_open', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_authorization_id'), ['authorization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_denial_id'), ['denial_id'], unique=False)
        batch_op.create_index('ix_work_items_open_due', ['is_open', 'due_on'], unique=False)
        batch_op.create_index('ix_work_items_open_kind_status', ['is_open', 'kind', 'status'], unique=False)
        batch_op.create_index('ix_work_items_open_priority', ['is_open', 'priority_score', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index('ix_work_items_pended', ['pended_until'], unique=False, postgresql_where=sa.text('pended_until IS NOT NULL'), sqlite_where=sa.text('pended_until IS NOT NULL'))
        batch_op.create_index('ix_work_items_pool', ['kind', 'priority_score', 'id'], unique=False, postgresql_where=sa.text('is_open AND assignee_id IS NULL'), sqlite_where=sa.text('is_open AND assignee_id IS NULL'))
        batch_op.create_index(batch_op.f('ix_work_items_visit_id'), ['visit_id'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('note', 'call', 'status_change', 'assignment', 'pend', 'edit', 'letter', 'reminder', 'system', name='activity_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_activities_actor_id_users')),
    sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_activities_work_item_id_work_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_item_at', ['work_item_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_item_at')

    op.drop_table('activities')
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_items_visit_id'))
        batch_op.drop_index('ix_work_items_pool', postgresql_where=sa.text('is_open AND assignee_id IS NULL'), sqlite_where=sa.text('is_open AND assignee_id IS NULL'))
        batch_op.drop_index('ix_work_items_pended', postgresql_where=sa.text('pended_until IS NOT NULL'), sqlite_where=sa.text('pended_until IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_work_items_payer_id'))
        batch_op.drop_index(batch_op.f('ix_work_items_patient_id'))
        batch_op.drop_index('ix_work_items_open_priority')
        batch_op.drop_index('ix_work_items_open_kind_status')
        batch_op.drop_index('ix_work_items_open_due')
        batch_op.drop_index(batch_op.f('ix_work_items_denial_id'))
        batch_op.drop_index(batch_op.f('ix_work_items_claim_id'))
        batch_op.drop_index(batch_op.f('ix_work_items_authorization_id'))
        batch_op.drop_index('ix_work_items_assignee_open')

    op.drop_table('work_items')
    with op.batch_alter_table('denials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_denials_claim_id'))

    op.drop_table('denials')
    op.drop_table('claim_lines')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_payer_id'))
        batch_op.drop_index(batch_op.f('ix_claims_patient_id'))

    op.drop_table('claims')
    with op.batch_alter_table('administrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_administrations_visit_id'))

    op.drop_table('administrations')
    op.drop_table('queue_members')
    with op.batch_alter_table('infusion_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_infusion_visits_scheduled_date'))
        batch_op.drop_index(batch_op.f('ix_infusion_visits_patient_id'))

    op.drop_table('infusion_visits')
    op.drop_table('skills')
    op.drop_table('queues')
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorizations_patient_id'))

    op.drop_table('authorizations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_patient_at')
        batch_op.drop_index('ix_audit_events_at')

    op.drop_table('audit_events')
    op.drop_table('users')
    with op.batch_alter_table('therapy_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_therapy_orders_patient_id'))

    op.drop_table('therapy_orders')
    op.drop_table('payer_appeal_levels')
    with op.batch_alter_table('coverages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverages_patient_id'))

    op.drop_table('coverages')
    op.drop_table('teams')
    op.drop_table('providers')
    with op.batch_alter_table('payers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payers_edi_payer_id'))

    op.drop_table('payers')
    op.drop_table('patients')
