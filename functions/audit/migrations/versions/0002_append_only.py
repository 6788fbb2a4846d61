"""Audit records are append-only in the database too, not just in the ORM.

Revision ID: audit_0002
Revises: audit_0001
"""

from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

MESSAGE = "audit records are append-only"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON audit.records "
            "FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON audit.records "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER records_no_{action.lower()} BEFORE {action} ON records "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER records_no_truncate ON audit.records")
        op.execute("DROP TRIGGER records_append_only ON audit.records")
        op.execute("DROP FUNCTION audit.refuse_change()")
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER records_no_{action}")
