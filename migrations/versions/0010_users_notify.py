"""On PostgreSQL, a NOTIFY on channel 'wms_users' when a user's identity changes (name,
role, active flag, credentials version) or the user is deleted, whichever process or
program does it: every app process drops its cached identity of that user
(data.identity, data.ledger_watch). SQLite needs nothing: its watch compares the rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Delivered on commit only; a failed sign-in (failed_logins) notifies nobody.
        op.execute(
            "CREATE FUNCTION app_user_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_notify('wms_users', ''); RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER app_user_notify "
            "AFTER UPDATE OF username, full_name, role, is_active, credentials_version "
            "OR DELETE ON app_user FOR EACH STATEMENT EXECUTE FUNCTION app_user_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER app_user_notify ON app_user")
        op.execute("DROP FUNCTION app_user_notify()")
