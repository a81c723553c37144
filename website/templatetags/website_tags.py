"""Template tags shared by every page of the public site."""

from django import template
from wagtail.models import Page, Site

from website.models import ContentVersion

register = template.Library()


@register.simple_tag(takes_context=True)
def content_version(context):
    """What the cached fragments of a page vary on besides their own arguments: the request's
    site (its URLs) and the token every change of content renews (ContentVersion, ADR 0021).
    Read once per request, in one query, however many fragments and templates ask."""
    request = context.get("request")
    if request is None:
        return None
    if not hasattr(request, "_content_version"):
        site = Site.find_for_request(request)
        site_id = site.pk if site is not None else None
        request._content_version = f"{site_id}-{ContentVersion.objects.current()}"
    return request._content_version


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    """The pages under the site's home page that editors marked "Show in menus"."""
    request = context["request"]
    current = context.get("page")
    site = Site.find_for_request(request)
    items = []
    if site is not None:
        items = Page.objects.child_of(site.root_page).live().public().in_menu()
    return {
        "items": [
            {
                "page": item,
                "is_active": current is not None and current.url_path.startswith(item.url_path),
            }
            for item in items
        ],
        "request": request,
    }
