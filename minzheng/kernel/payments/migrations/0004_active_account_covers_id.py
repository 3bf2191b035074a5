"""PostgreSQL: the unique index of a person's active payee account also holds its id.

The monthly payroll finds each enrolled household's head's active account (see
people.0003): with the id in the index, the look-up reads the index alone. The index keeps
its name, so Django still finds the constraint. SQLite keeps its plain unique index.
"""

from django.db import migrations

INDEX = "payee_one_active_account_per_person"
TABLE = "payments_payeeaccount"
WHERE = "WHERE status = 'active'"


def cover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(f"CREATE UNIQUE INDEX {INDEX} ON {TABLE} (person_id) INCLUDE (id) {WHERE}")


def uncover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(f"CREATE UNIQUE INDEX {INDEX} ON {TABLE} (person_id) {WHERE}")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payroll_speed"),
    ]

    operations = [migrations.RunPython(cover, uncover, elidable=False)]
