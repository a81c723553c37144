"""Template tags shared by every page of the public site."""

from django import template
from wagtail.models import Page, Site

register = template.Library()


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
