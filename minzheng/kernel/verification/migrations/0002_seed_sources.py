"""Seed the data sources and their column specs (minzheng/kernel/verification/sources.py).

A later change to a source's columns ships as a new migration that runs the same upsert.
"""

from django.db import migrations


def seed_sources(apps, schema_editor):
    from minzheng.kernel.verification.sources import SOURCES

    DataSource = apps.get_model("verification", "DataSource")
    for spec in SOURCES:
        DataSource.objects.update_or_create(
            code=spec["code"],
            defaults={
                "kind": spec["kind"],
                "name_zh": spec["name_zh"],
                "name_en": spec["name_en"],
                "department_zh": spec["department_zh"],
                "department_en": spec["department_en"],
                "period_kind": spec["period"],
                "columns": spec["columns"],
                "unique_columns": spec["unique"],
                "is_active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [migrations.RunPython(seed_sources, migrations.RunPython.noop)]
