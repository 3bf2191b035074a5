"""The enrolment's payee account (发放账户), filled for existing enrolments with their
household's current head's active account: the account the payroll paid until now."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def heads_accounts(apps, schema_editor):
    Enrolment = apps.get_model("assistance", "Enrolment")
    Membership = apps.get_model("people", "Membership")
    PayeeAccount = apps.get_model("payments", "PayeeAccount")
    head = Membership.objects.filter(
        household_id=OuterRef(OuterRef("household_id")), relation="head", end_date__isnull=True
    ).values("person_id")[:1]
    account = (
        PayeeAccount.objects.filter(person_id=Subquery(head), status="active")
        .order_by("-id")
        .values("id")[:1]
    )
    Enrolment.objects.filter(payee_account__isnull=True).update(payee_account_id=Subquery(account))


class Migration(migrations.Migration):
    dependencies = [
        ("assistance", "0011_visit_follow_up"),
        ("payments", "0004_active_account_covers_id"),
        ("people", "0003_current_head_covers_person"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrolment",
            name="payee_account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="payments.payeeaccount",
                verbose_name="payee account",
            ),
        ),
        migrations.RunPython(heads_accounts, migrations.RunPython.noop),
    ]
