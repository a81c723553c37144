"""The staff roles, least privilege each (see docs/security-notes.md for the table).

Editors write pages, images and documents, and publish; they see no booking data. Box office
runs venues, performances and reservations, and may check in and undo a check-in. Door staff
only check in.
Wagtail's "Moderators" group is removed: publishing is the Editors' job here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BOX_OFFICE = {
    "venue": ["add", "change", "delete", "view"],
    "performance": ["add", "change", "view"],
    "reservation": ["change", "view"],
}
EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


def ensure_permissions(apps):
    # Permissions are normally created after migrate; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    ensure_permissions(apps)
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    Page = apps.get_model("wagtailcore.Page")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")

    def permission(app_label, codename):
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    access_admin = permission("wagtailadmin", "access_admin")
    check_in = permission("booking", "check_in_reservation")

    editors, __ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(access_admin)
    root = Page.objects.filter(depth=1).first()
    if root is not None:
        for codename in EDITOR_PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=editors, page=root, permission=permission("wagtailcore", codename)
            )
    Group.objects.filter(name="Moderators").delete()
    # Wagtail's default approval workflow waited on the Moderators: Editors publish directly.
    apps.get_model("wagtailcore", "Workflow").objects.filter(name="Moderators approval").update(
        active=False
    )

    box_office, __ = Group.objects.get_or_create(name="Box office")
    box_office.permissions.add(access_admin, check_in, permission("booking", "undo_check_in"))
    for model, actions in BOX_OFFICE.items():
        for action in actions:
            box_office.permissions.add(permission("booking", f"{action}_{model}"))

    door_staff, __ = Group.objects.get_or_create(name="Door staff")
    door_staff.permissions.add(access_admin, check_in)


def remove_groups(apps, schema_editor):
    apps.get_model("auth.Group").objects.filter(name__in=["Box office", "Door staff"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
