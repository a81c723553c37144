"""Signals the website sends: how the apps built on it join in without website importing them;
and the ones it receives to keep its cached page fragments in step with the content."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.documents import get_document_model
from wagtail.embeds.models import Embed
from wagtail.images import get_image_model
from wagtail.models import COMMENTS_RELATION_NAME, PageViewRestriction, Site, get_page_models

from website.models import ContentVersion

# Sent by `manage.py load_demo` once the demo's pages, images, settings and users are built,
# inside the command's transaction: what a receiver writes commits or rolls back with them.
# Keyword arguments:
#   shows: the demo's ShowPages, keyed by slug, in the order of the content file;
#   today: the date the demo's relative dates count from.
# A receiver may return a short count, such as "15 performances", which the command adds to
# the summary it prints.
demo_content_loaded = Signal()


# Fields whose saving changes nothing a visitor sees: Wagtail's bookkeeping of a draft
# (save_revision) and the size and hash it works out for an image when it first renders it.
UNSHOWN_FIELDS = frozenset(
    {
        COMMENTS_RELATION_NAME,
        "draft_title",
        "has_unpublished_changes",
        "latest_revision",
        "latest_revision_created_at",
        "file_hash",
        "file_size",
    }
)


def renew_content_version(sender, update_fields=None, **kwargs):
    if update_fields and UNSHOWN_FIELDS.issuperset(update_fields):
        return
    ContentVersion.objects.renew()


def connect_content_version():
    """Renew the content version (ContentVersion) with every save or deletion of what the
    pages show: every page type (publishing, unpublishing, moving and editing all save the page;
    deleting deletes it), the site settings, images and their renditions, documents, embeds,
    sites and page view restrictions (the menu lists public pages only). Called once, from
    WebsiteConfig.ready(), when every model is known."""
    watched = [
        *get_page_models(),
        *settings_registry,
        get_image_model(),
        get_document_model(),
        Embed,
        Site,
        PageViewRestriction,
    ]
    for model in watched:
        for signal in (post_save, post_delete):
            signal.connect(
                renew_content_version, sender=model, dispatch_uid=f"content-version-{model._meta}"
            )
    # A new rendition changes no page already rendered; a deleted one leaves a broken picture.
    post_delete.connect(
        renew_content_version,
        sender=get_image_model().get_rendition_model(),
        dispatch_uid="content-version-rendition",
    )
