"""Replace Wagtail's "Welcome" placeholder with the site's real (empty) home page."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("website.HomePage")

    # Wagtail's initial data creates this page at /home/; nothing links to it yet.
    Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()

    homepage_content_type, __ = ContentType.objects.get_or_create(
        model="homepage", app_label="website"
    )
    homepage = HomePage.objects.create(
        title="AzioneLab",
        draft_title="AzioneLab",
        slug="home",
        content_type=homepage_content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale_id=Page.objects.get(depth=1).locale_id,
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page_id": homepage.id, "site_name": "AzioneLab"},
    )


def remove_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    HomePage = apps.get_model("website.HomePage")
    HomePage.objects.filter(slug="home", depth=2).delete()
    ContentType.objects.filter(model="homepage", app_label="website").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("website", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
