"""PostgreSQL: source records partitioned by batch, one partition per imported file (ADR 0020).

The table is rebuilt as a table partitioned by ``LIST (batch_id)`` with the same columns;
its rows are copied into a partition per batch they belong to. A partitioned table's unique
keys must hold its partition key, so ``id`` keeps its values and a sequence with a plain
(non-unique) index; the writer is the only source of ids. The report-record foreign key
loses its database constraint for the same reason. SQLite keeps the plain table.
"""

from django.db import migrations, models

TABLE = "verification_sourcerecord"
OLD = "verification_sourcerecord_before_partitioning"
# The parent's indexes: a partition built by the import writer must have the same ones to be
# attached without a rebuild (minzheng.kernel.verification.writing.PARTITION_INDEXES).
INDEXES = (
    ("sourcerecord_person_period", "(person_id, period_start)"),
    ("sourcerecord_unlinked_digest", "(id_number_digest) WHERE person_id IS NULL"),
    ("sourcerecord_id", "(id)"),
)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        for name, _definition in INDEXES[:2]:
            cursor.execute(f"ALTER INDEX {name} RENAME TO {name}_before_partitioning")
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY LIST (batch_id)"
        )
        for name, definition in INDEXES:
            cursor.execute(f"CREATE INDEX {name} ON {TABLE} {definition}")
        cursor.execute(f"SELECT DISTINCT batch_id FROM {OLD} ORDER BY 1")
        for (batch_id,) in cursor.fetchall():
            cursor.execute(
                f"CREATE TABLE {TABLE}_b{int(batch_id)} PARTITION OF {TABLE} FOR VALUES IN (%s)",
                [batch_id],
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
        ("verification", "0002_seed_sources"),
    ]

    operations = [
        migrations.AlterField(
            model_name="verificationreportrecord",
            name="record",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="verification.sourcerecord",
            ),
        ),
        migrations.RunPython(partition, migrations.RunPython.noop, elidable=False),
    ]
