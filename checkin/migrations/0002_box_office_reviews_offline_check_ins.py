"""The box office reviews what offline doors sent: it sees offline check-ins and their
conflicts (docs/security-notes.md, the roles' table). Nobody edits them: they are a record."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def ensure_permissions(apps):
    # Permissions are normally created after migrate; the group needs this one now.
    app_config = apps.get_app_config("checkin")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def grant(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    view = Permission.objects.get(
        content_type__app_label="checkin", codename="view_offlinecheckin"
    )
    for group in Group.objects.filter(name="Box office"):
        group.permissions.add(view)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Permission.objects.filter(
        content_type__app_label="checkin", codename="view_offlinecheckin"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("checkin", "0001_initial"),
        ("booking", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
