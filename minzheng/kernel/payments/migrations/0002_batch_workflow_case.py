"""A payment batch becomes a workflow case (ADR 0018): a case number and "state since".

Existing batches get case numbers "FF-<county code>-<yyyymm>-<n>" from the workflow kernel's
sequences (in id order), so later batches continue the same sequences without a clash.
"""

from django.db import migrations, models


def number_existing_batches(apps, schema_editor):
    PaymentBatch = apps.get_model("payments", "PaymentBatch")
    CaseNumberSequence = apps.get_model("workflow", "CaseNumberSequence")
    for batch in PaymentBatch.objects.select_related("county").order_by("id").iterator():
        prefix = f"FF-{batch.county.code}-{batch.month:%Y%m}"
        sequence, _created = CaseNumberSequence.objects.get_or_create(prefix=prefix)
        sequence.last += 1
        sequence.save(update_fields=["last"])
        PaymentBatch.objects.filter(pk=batch.pk).update(
            case_number=f"{prefix}-{sequence.last:05d}", state_changed_at=batch.updated_at
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("workflow", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentbatch",
            name="case_number",
            field=models.CharField(default="", max_length=40, verbose_name="case number"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="paymentbatch",
            name="state_changed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="state since"),
        ),
        migrations.RunPython(number_existing_batches, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="paymentbatch",
            name="case_number",
            field=models.CharField(max_length=40, unique=True, verbose_name="case number"),
        ),
    ]
