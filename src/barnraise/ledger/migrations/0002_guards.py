"""Database guards for the ledger, on SQLite and PostgreSQL.

- A posting may only be inserted into an `open` entry, in its account's currency.
- An entry changes once, from `open` to `posted`, and only if it has at least two postings that
  sum to zero in each currency. A posted entry cannot be changed or deleted.
- A posting cannot be updated or deleted.
- PostgreSQL also refuses to commit an entry still `open` (a deferred constraint trigger).
  SQLite has no deferred triggers: there an open entry's postings never count in a balance and
  `ledger_verify()` reports it.

Errors are raised as constraint violations, so Django raises IntegrityError on both databases.
"""

from typing import Any

from django.db import migrations

SQLITE_UP = [
    """
    CREATE TRIGGER ledger_posting_insert_guard BEFORE INSERT ON ledger_posting
    BEGIN
        SELECT RAISE(ABORT, 'ledger: postings may only be added to an open entry')
        WHERE (SELECT status FROM ledger_journalentry WHERE id = NEW.entry_id) IS NOT 'open';
        SELECT RAISE(ABORT, 'ledger: a posting must be in its account''s currency')
        WHERE (SELECT currency FROM ledger_account WHERE id = NEW.account_id) IS NOT NEW.currency;
    END
    """,
    """
    CREATE TRIGGER ledger_posting_update_guard BEFORE UPDATE ON ledger_posting
    BEGIN
        SELECT RAISE(ABORT, 'ledger: postings are immutable');
    END
    """,
    """
    CREATE TRIGGER ledger_posting_delete_guard BEFORE DELETE ON ledger_posting
    BEGIN
        SELECT RAISE(ABORT, 'ledger: postings are immutable');
    END
    """,
    """
    CREATE TRIGGER ledger_entry_update_guard BEFORE UPDATE ON ledger_journalentry
    BEGIN
        SELECT RAISE(ABORT, 'ledger: an entry changes only once, from open to posted')
        WHERE OLD.status IS NOT 'open' OR NEW.status IS NOT 'posted'
            OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind
            OR NEW.reference IS NOT OLD.reference OR NEW.memo IS NOT OLD.memo
            OR NEW.idempotency_key IS NOT OLD.idempotency_key
            OR NEW.fingerprint IS NOT OLD.fingerprint OR NEW.created_at IS NOT OLD.created_at;
        SELECT RAISE(ABORT, 'ledger: an entry needs at least two postings')
        WHERE (SELECT count(*) FROM ledger_posting WHERE entry_id = NEW.id) < 2;
        SELECT RAISE(ABORT, 'ledger: the postings of an entry must sum to zero per currency')
        WHERE EXISTS (
            SELECT 1 FROM ledger_posting WHERE entry_id = NEW.id
            GROUP BY currency HAVING sum(amount_minor) <> 0
        );
    END
    """,
    """
    CREATE TRIGGER ledger_entry_delete_guard BEFORE DELETE ON ledger_journalentry
    BEGIN
        SELECT RAISE(ABORT, 'ledger: a posted entry is immutable') WHERE OLD.status = 'posted';
    END
    """,
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "ledger_posting_insert_guard",
        "ledger_posting_update_guard",
        "ledger_posting_delete_guard",
        "ledger_entry_update_guard",
        "ledger_entry_delete_guard",
    )
]

POSTGRES_UP = [
    """
    CREATE FUNCTION ledger_posting_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            RAISE EXCEPTION 'ledger: postings are immutable' USING ERRCODE = 'check_violation';
        END IF;
        IF (SELECT status FROM ledger_journalentry WHERE id = NEW.entry_id) IS DISTINCT FROM 'open' THEN
            RAISE EXCEPTION 'ledger: postings may only be added to an open entry'
                USING ERRCODE = 'check_violation';
        END IF;
        IF (SELECT currency FROM ledger_account WHERE id = NEW.account_id)
                IS DISTINCT FROM NEW.currency THEN
            RAISE EXCEPTION 'ledger: a posting must be in its account''s currency'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER ledger_posting_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_guard()
    """,
    """
    CREATE FUNCTION ledger_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.status = 'posted' THEN
                RAISE EXCEPTION 'ledger: a posted entry is immutable' USING ERRCODE = 'check_violation';
            END IF;
            RETURN OLD;
        END IF;
        IF OLD.status <> 'open' OR NEW.status <> 'posted'
                OR (NEW.id, NEW.kind, NEW.reference, NEW.memo, NEW.idempotency_key,
                    NEW.fingerprint, NEW.created_at)
                IS DISTINCT FROM (OLD.id, OLD.kind, OLD.reference, OLD.memo, OLD.idempotency_key,
                    OLD.fingerprint, OLD.created_at) THEN
            RAISE EXCEPTION 'ledger: an entry changes only once, from open to posted'
                USING ERRCODE = 'check_violation';
        END IF;
        IF (SELECT count(*) FROM ledger_posting WHERE entry_id = NEW.id) < 2 THEN
            RAISE EXCEPTION 'ledger: an entry needs at least two postings'
                USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM ledger_posting WHERE entry_id = NEW.id
            GROUP BY currency HAVING sum(amount_minor) <> 0
        ) THEN
            RAISE EXCEPTION 'ledger: the postings of an entry must sum to zero per currency'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER ledger_entry_guard BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_guard()
    """,
    """
    CREATE FUNCTION ledger_entry_posted_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (SELECT status FROM ledger_journalentry WHERE id = NEW.id) = 'open' THEN
            RAISE EXCEPTION 'ledger: entry % was left open', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_entry_posted_at_commit AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_posted_at_commit()
    """,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_entry_posted_at_commit ON ledger_journalentry",
    "DROP TRIGGER IF EXISTS ledger_entry_guard ON ledger_journalentry",
    "DROP TRIGGER IF EXISTS ledger_posting_guard ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_entry_posted_at_commit()",
    "DROP FUNCTION IF EXISTS ledger_entry_guard()",
    "DROP FUNCTION IF EXISTS ledger_posting_guard()",
]


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise RuntimeError(f"the ledger guards support sqlite and postgresql, not {vendor}")
    for sql in statements[vendor]:
        schema_editor.execute(sql, params=None)


def guards_create(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP})


def guards_drop(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(guards_create, guards_drop)]
