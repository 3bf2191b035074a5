"""PostgreSQL: the unique index of a household's current head also holds the person's id.

The monthly payroll looks up, for every enrolled household, its current head and then the
head's active payee account (150,000 households a month). With the person in the index, the
look-up reads the index alone, not the membership table (payments.0004 does the same for the
account). The index keeps its name, so Django still finds the constraint. SQLite keeps its
plain unique index.
"""

from django.db import migrations

INDEX = "membership_one_current_head_per_household"
TABLE = "people_membership"
WHERE = "WHERE end_date IS NULL AND relation = 'head'"


def cover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(
            f"CREATE UNIQUE INDEX {INDEX} ON {TABLE} (household_id) INCLUDE (person_id) {WHERE}"
        )


def uncover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(f"CREATE UNIQUE INDEX {INDEX} ON {TABLE} (household_id) {WHERE}")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_digest_key_covers_id"),
    ]

    operations = [migrations.RunPython(cover, uncover, elidable=False)]
