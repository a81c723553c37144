"""How booking plugs into the show page: `{% booking_panel page %}` lists the show's
performances with their availability, the booking form, and their schema.org events.

The website's templates load this library; the website's code knows nothing of booking.
"""

import json

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from booking.forms import BookingForm, WaitingListForm, initial_performance
from booking.models import BookingState, Performance

register = template.Library()

EVENT_AVAILABILITY = {
    BookingState.OPEN: "https://schema.org/InStock",
    BookingState.SOLD_OUT: "https://schema.org/SoldOut",
    BookingState.CANCELLED: "https://schema.org/Discontinued",
}
# What must not appear raw inside <script>, escaped as json_script does.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.inclusion_tag("booking/booking_panel.html", takes_context=True)
def booking_panel(context, page):
    """The show's dates and tickets, and the waiting list of its sold-out performances.
    `booking_form` or `waitlist_form` in the page's context is a submitted form that a booking
    view sends back with its errors (booking.views)."""
    request = context["request"]
    listed = Performance.objects.filter(show=page).listed()
    performances = list(listed.with_seat_counts().select_related("venue"))
    form = context.get("booking_form")
    if form is None:
        initial = {"performance": initial_performance(performances, request.GET)}
        form = BookingForm(listed, initial=initial)
    sold_out = [p for p in performances if p.booking_state == BookingState.SOLD_OUT]
    return {
        "page": page,
        "request": request,
        # Wagtail's site settings (its context processor's `settings`): the privacy notice.
        "settings": context.get("settings"),
        "performances": performances,
        "booking_form": form,
        "bookable": any(p.booking_state == BookingState.OPEN for p in performances),
        "waitlist_performances": sold_out,
        "waitlist_form": context.get("waitlist_form") or WaitingListForm(listed),
        "offer_hours": settings.BOOKING_WAITLIST_OFFER_HOURS,
        "BookingState": BookingState,
        "events_json_ld": theater_events_json_ld(page, performances),
    }


def theater_events_json_ld(show, performances):
    """schema.org TheaterEvent data for each listed performance, with its availability."""
    events = []
    for performance in performances:
        state = performance.booking_state
        venue = performance.venue
        event = {
            "@context": "https://schema.org",
            "@type": "TheaterEvent",
            "name": show.title,
            "url": show.full_url,
            "startDate": performance.starts_at.isoformat(),
            "eventStatus": "https://schema.org/EventCancelled"
            if state == BookingState.CANCELLED
            else "https://schema.org/EventScheduled",
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "location": {"@type": "Place", "name": venue.name, "address": venue.one_line_address},
            "offers": {"@type": "Offer", "url": f"{show.full_url}#tickets"},
        }
        # Online booking closed says nothing of seats at the door: claim no availability.
        if state in EVENT_AVAILABILITY:
            event["offers"]["availability"] = EVENT_AVAILABILITY[state]
        events.append(event)
    if not events:
        return ""
    data = json.dumps(events, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{data}</script>')
