"""BKU numbering: a counter per fiscal year and bendahara, and the numbers given

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bku_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('bendahara', sa.String(length=100), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fiscal_year', 'bendahara', name='uq_bku_counter')
    )
    op.create_table('bku_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('bendahara', sa.String(length=100), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subject_key', sa.String(length=250), nullable=False),
    sa.Column('nomor', sa.String(length=200), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fiscal_year', 'bendahara', 'number', name='uq_bku_number_number'),
    sa.UniqueConstraint('fiscal_year', 'bendahara', 'subject_key', name='uq_bku_number_subject')
    )


def downgrade() -> None:
    op.drop_table('bku_number')
    op.drop_table('bku_counter')
