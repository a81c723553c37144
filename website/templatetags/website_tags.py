"""Template tags shared by every page of the public site."""

import json

from django import template
from django.utils.safestring import mark_safe
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


EVENT_AVAILABILITY = {
    "open": "https://schema.org/InStock",
    "sold_out": "https://schema.org/SoldOut",
    "cancelled": "https://schema.org/Discontinued",
}
# What must not appear raw inside <script>, escaped as json_script does.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def theater_events_json_ld(show, performances):
    """schema.org TheaterEvent data for each listed performance, with its availability."""
    events = []
    for performance in performances:
        state = performance.booking_state()
        venue = performance.venue
        events.append(
            {
                "@context": "https://schema.org",
                "@type": "TheaterEvent",
                "name": show.title,
                "url": show.full_url,
                "startDate": performance.starts_at.isoformat(),
                "eventStatus": "https://schema.org/EventCancelled"
                if state == "cancelled"
                else "https://schema.org/EventScheduled",
                "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
                "location": {
                    "@type": "Place",
                    "name": venue.name,
                    "address": venue.one_line_address,
                },
                "offers": {"@type": "Offer", "url": f"{show.full_url}#tickets"},
            }
        )
        # Online booking closed says nothing of seats at the door: claim no availability.
        if state in EVENT_AVAILABILITY:
            events[-1]["offers"]["availability"] = EVENT_AVAILABILITY[state]
    if not events:
        return ""
    data = json.dumps(events, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{data}</script>')
