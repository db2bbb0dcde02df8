"""SPJ bundles of SOP VIII: the bundle, its receipt lines and its attachments

Amounts are NUMERIC(18, 2) on PostgreSQL and decimal text on SQLite (models.Rupiah; SQLite's
NUMERIC is a binary float).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def rupiah():
    return sa.Numeric(18, 2).with_variant(sa.String(length=24), 'sqlite')


def upgrade() -> None:
    op.create_table('spj_bundle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jenis_spp', sa.String(length=2), nullable=False),
    sa.Column('tahun_anggaran', sa.Integer(), nullable=False),
    sa.Column('bendahara_email', sa.String(length=320), nullable=False),
    sa.Column('sub_kegiatan', sa.String(length=50), nullable=False),
    sa.Column('uraian', sa.Text(), nullable=False),
    sa.Column('total', rupiah(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_by', sa.String(length=320), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('batch_date', sa.Date(), nullable=True),
    sa.Column('dag_id', sa.String(length=250), nullable=True),
    sa.Column('run_id', sa.String(length=250), nullable=True),
    sa.Column('batch_index', sa.Integer(), nullable=True),
    sa.Column('bku_nomor', sa.String(length=200), nullable=True),
    sa.Column('nomor_spp', sa.String(length=200), nullable=True),
    sa.Column('nomor_spm', sa.String(length=200), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transmittal', sa.String(length=100), nullable=True),
    sa.Column('koreksi', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_spj_bundle_bendahara_email', 'spj_bundle', ['bendahara_email'])
    op.create_index('ix_spj_bundle_status', 'spj_bundle', ['status'])
    op.create_index('ix_spj_bundle_run_id', 'spj_bundle', ['run_id'])
    op.create_table('spj_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bundle_id', sa.Integer(), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('tanggal', sa.Date(), nullable=False),
    sa.Column('nomor_bukti', sa.String(length=100), nullable=False),
    sa.Column('kode_rekening', sa.String(length=50), nullable=False),
    sa.Column('uraian', sa.Text(), nullable=False),
    sa.Column('jumlah', rupiah(), nullable=False),
    sa.Column('penerima', sa.String(length=250), nullable=False),
    sa.Column('ppn', rupiah(), nullable=False),
    sa.Column('pph', rupiah(), nullable=False),
    sa.ForeignKeyConstraint(['bundle_id'], ['spj_bundle.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('bundle_id', 'no', name='uq_spj_line_no')
    )
    op.create_index('ix_spj_line_bundle_id', 'spj_line', ['bundle_id'])
    op.create_index('ix_spj_line_nomor_bukti', 'spj_line', ['nomor_bukti'])
    op.create_table('spj_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bundle_id', sa.Integer(), nullable=False),
    sa.Column('jenis', sa.String(length=100), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bundle_id'], ['spj_bundle.id']),
    sa.ForeignKeyConstraint(['document_id'], ['document.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_spj_attachment_bundle_id', 'spj_attachment', ['bundle_id'])


def downgrade() -> None:
    op.drop_table('spj_attachment')
    op.drop_table('spj_line')
    op.drop_table('spj_bundle')
