"""A line's ``reissue_of`` loses its database constraint (the payroll's speed, ADR 0018).

PostgreSQL queues a deferred foreign-key check for every inserted line, even when the column
is null (every regular and back-pay line), and runs them all at commit: about a tenth of a
payroll's insert. Like the line's batch, region and payee account, the reference stays a
Django foreign key (PROTECT) without a database constraint: a reissue is written only by
``payment_line_reissue``, which holds the original line locked, and lines are never deleted.
The unique ``payment_line_reissued_once`` stays.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_batch_workflow_case"),
    ]

    operations = [
        migrations.AlterField(
            model_name="paymentline",
            name="reissue_of",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="payments.paymentline",
            ),
        ),
    ]
