"""PostgreSQL: the unique key on the ID-number digest also holds the person's id.

Every look-up by digest (an import linking millions of rows to the register, a search by ID
number) wants only the id: with the id in the index, the look-up reads the index alone and
never the table. The pattern-matching copy of the index goes: nothing searches digests by
prefix. The constraint keeps its name, so Django still finds it. SQLite keeps its plain
unique index.
"""

from django.db import migrations

TABLE = "people_person"
KEY = "people_person_id_number_digest_key"
LIKE_INDEX = "people_person_id_number_digest_af4021cc_like"


def cover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")
        cursor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {KEY} UNIQUE (id_number_digest) INCLUDE (id)"
        )


def uncover(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY}")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {KEY} UNIQUE (id_number_digest)")
        cursor.execute(
            f"CREATE INDEX {LIKE_INDEX} ON {TABLE} (id_number_digest varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
    ]

    operations = [migrations.RunPython(cover, uncover, elidable=False)]
