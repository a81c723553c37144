import django.core.validators
from django.db import migrations, models


def clamp_to_the_form(apps, schema_editor):
    """A limit above the form's could never be asked for: bring it down to the form's."""
    Performance = apps.get_model("booking", "Performance")
    Performance.objects.filter(max_seats_per_booking__gt=20).update(max_seats_per_booking=20)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_booking_email_outbox"),
    ]

    operations = [
        migrations.AlterField(
            model_name="performance",
            name="max_seats_per_booking",
            field=models.PositiveSmallIntegerField(
                default=6,
                help_text="From 1 to 20, the most that one booking can hold.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(20),
                ],
                verbose_name="seats per booking, at most",
            ),
        ),
        migrations.RunPython(clamp_to_the_form, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="performance",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_seats_per_booking__lte", 20)),
                name="performance_seats_per_booking_within_the_form",
            ),
        ),
    ]
