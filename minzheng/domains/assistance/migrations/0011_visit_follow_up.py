"""A visit that asks for follow-up schedules a follow-up visit linked to it (`follow_up_of`);
the one-visit-per-household-and-month rule stays for the routine schedule only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assistance", "0010_portal")]

    operations = [
        migrations.RemoveConstraint(
            model_name="visit",
            name="visit_one_per_month",
        ),
        migrations.AddField(
            model_name="visit",
            name="follow_up_of",
            field=models.OneToOneField(
                blank=True,
                help_text="The visit that asked for this follow-up visit.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="follow_up_visit",
                to="assistance.visit",
                verbose_name="follow-up of",
            ),
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("follow_up_of__isnull", True)),
                fields=("household", "period"),
                name="visit_one_per_month",
            ),
        ),
    ]
