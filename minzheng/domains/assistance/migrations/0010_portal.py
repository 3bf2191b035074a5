from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assistance", "0009_discovery")]

    operations = [
        # The nightly clean-up of abandoned portal drafts reads unsubmitted rows by last change.
        migrations.AddIndex(
            model_name="applicationdraft",
            index=models.Index(
                condition=models.Q(("application__isnull", True)),
                fields=["updated_at"],
                name="draft_unsubmitted_updated",
            ),
        ),
    ]
