"""PostgreSQL: the determinations table partitioned by month, each month by county (ADR 0019).

The table is rebuilt as a partitioned table with the same columns; its rows are copied into
partitions created for each month and county they hold. Its key becomes (household, period,
county), as a partitioned table's unique keys must hold the partition keys; the writer keeps
one row per household and month. ``id`` keeps its values and its sequence, without an index.
SQLite keeps the plain table. The (period, county) index goes: partitions do its work.
"""

import datetime as dt

from django.db import migrations

TABLE = "assistance_determination"
OLD = "assistance_determination_before_partitioning"


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(
            f"ALTER TABLE {OLD} RENAME CONSTRAINT determination_one_per_household_month"
            " TO determination_before_partitioning_unique"
        )
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (period)"
        )
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT determination_one_per_household_month"
            " PRIMARY KEY (household_id, period, county)"
        )
        cursor.execute(f"SELECT DISTINCT period, county FROM {OLD} ORDER BY 1, 2")
        pairs = cursor.fetchall()
        for period in sorted({period for period, _ in pairs}):
            month = f"{TABLE}_{period:%Y%m}"
            following = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            cursor.execute(
                f"CREATE TABLE {month} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)"
                " PARTITION BY LIST (county)",
                [period, following],
            )
            for county in sorted({county for p, county in pairs if p == period}):
                cursor.execute(
                    f"CREATE TABLE {month}_{county} PARTITION OF {month} FOR VALUES IN (%s)",
                    [county],
                )
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
        cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {OLD}")
        (highest,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {OLD}")
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
        cursor.execute(f"SELECT setval('{TABLE}_id_seq', %s, %s)", [max(highest, 1), highest > 0])
        cursor.execute(f"ALTER TABLE {TABLE} ALTER id SET DEFAULT nextval('{TABLE}_id_seq')")


class Migration(migrations.Migration):
    # The DDL and the copy run as one transaction.
    atomic = True

    dependencies = [
        ("assistance", "0007_review"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="determination", name="determination_period_county"),
        migrations.RunPython(partition, migrations.RunPython.noop, elidable=False),
    ]
