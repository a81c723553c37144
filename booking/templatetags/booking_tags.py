"""How booking plugs into the show page: `{% booking_panel page %}` lists the show's
performances with their availability, the booking form, and their schema.org events.

The website's templates load this library; the website's code knows nothing of booking.
"""

import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking.forms import BookingForm, GroupRequestForm, WaitingListForm, initial_performance
from booking.models import BookingState, Performance, performances_with_seat_counts
from booking.tickets import absolute_url

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
    """The show's dates and tickets, the group request for more seats than one booking may
    hold, and the waiting list of its sold-out performances. `booking_form`, `group_form` or
    `waitlist_form` in the page's context is a submitted form that a booking view sends back
    with its errors (booking.views)."""
    request = context["request"]
    listed = Performance.objects.filter(show=page).listed()
    performances = list(
        performances_with_seat_counts().select_related("venue").filter(show=page).listed()
    )
    form = context.get("booking_form")
    if form is None:
        initial = {"performance": initial_performance(performances, request.GET)}
        form = BookingForm(listed, initial=initial)
    sold_out = [p for p in performances if p.takes_waiting_list]
    on_sale = [p for p in performances if p.booking_state == BookingState.OPEN]
    for performance in performances:
        performance.seats_hint = seats_hint(performance.max_seats_per_booking, chosen=True)
    limit_seats(form, on_sale)
    group_form = context.get("group_form") or GroupRequestForm(listed)
    ask_for_more_seats(group_form, on_sale)
    limits = {p.max_seats_per_booking for p in on_sale}
    return {
        "page": page,
        "request": request,
        # Wagtail's site settings (its context processor's `settings`): the privacy notice.
        "settings": context.get("settings"),
        "performances": performances,
        "booking_form": form,
        "bookable": bool(on_sale),
        "group_performances": on_sale,
        "group_form": group_form,
        # The one limit of every performance on sale, or None when they differ.
        "group_limit": limits.pop() if len(limits) == 1 else None,
        "waitlist_performances": sold_out,
        "waitlist_form": context.get("waitlist_form") or WaitingListForm(listed),
        "offer_hours": settings.BOOKING_WAITLIST_OFFER_HOURS,
        "BookingState": BookingState,
        "events_json_ld": theater_events_json_ld(page, performances),
    }


def seats_hint(limit, *, chosen=False, highest=None):
    """What the seats field says of the limit: of the chosen performance, of every performance
    on sale, or the range of their limits (up to `highest`)."""
    if highest is not None and highest != limit:
        return _(
            "Each performance has its own limit: from %(lowest)d to %(highest)d seats per booking."
        ) % {"lowest": limit, "highest": highest}
    if chosen:
        return ngettext(
            "Up to %(limit)d seat per booking for this performance.",
            "Up to %(limit)d seats per booking for this performance.",
            limit,
        ) % {"limit": limit}
    return ngettext(
        "Up to %(limit)d seat per booking.", "Up to %(limit)d seats per booking.", limit
    ) % {"limit": limit}


def chosen_performance(form, on_sale):
    """The performance on sale a form has chosen, or the only one on sale, or None."""
    chosen = str(form["performance"].value())
    performance = next((p for p in on_sale if str(p.pk) == chosen), None)
    if performance is None and len(on_sale) == 1:
        return on_sale[0]
    return performance


def limit_seats(form, on_sale):
    """The booking form's seats field knows the limit before the form is sent: its `max` and
    the hint under it, with the way to the group request. Without JavaScript they are those of
    the chosen (or only) performance, else the range across those on sale; booking_panel.js
    keeps them in step with the performance chosen."""
    if not on_sale:
        return
    seats = form.fields["seats"]
    performance = chosen_performance(form, on_sale)
    if performance is not None:
        limit = performance.max_seats_per_booking
        hint = performance.seats_hint
    else:
        limits = [p.max_seats_per_booking for p in on_sale]
        limit = max(limits)
        hint = seats_hint(min(limits), highest=limit)
    seats.widget.attrs.update({"max": limit, "data-seats": "max"})
    seats.help_text = format_html(
        '<span data-limit-hint>{}</span> <a href="#group-request">{}</a>',
        hint,
        _("More people? Send a group request"),
    )


def ask_for_more_seats(form, on_sale):
    """The group request's seats field starts above the chosen (or lowest) limit: fewer seats
    are booked with the booking form. booking_panel.js follows the performance chosen."""
    if not on_sale:
        return
    performance = chosen_performance(form, on_sale)
    limit = (
        performance.max_seats_per_booking
        if performance is not None
        else min(p.max_seats_per_booking for p in on_sale)
    )
    form.fields["seats"].widget.attrs.update({"min": limit + 1, "data-seats": "above"})


def theater_events_json_ld(show, performances):
    """schema.org TheaterEvent data for each listed performance, with its availability."""
    events = []
    # Worked out once: each reading of `full_url` looks up the site's root paths again.
    url = show.full_url
    for performance in performances:
        state = performance.booking_state
        venue = performance.venue
        event = {
            "@context": "https://schema.org",
            "@type": "TheaterEvent",
            "name": show.title,
            "url": url,
            "startDate": performance.starts_at.isoformat(),
            "eventStatus": "https://schema.org/EventCancelled"
            if state == BookingState.CANCELLED
            else "https://schema.org/EventScheduled",
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "location": {"@type": "Place", "name": venue.name, "address": venue.one_line_address},
            "offers": {"@type": "Offer", "url": f"{url}#tickets"},
        }
        # Online booking closed says nothing of seats at the door: claim no availability.
        if state in EVENT_AVAILABILITY:
            event["offers"]["availability"] = EVENT_AVAILABILITY[state]
        events.append(event)
    if not events:
        return ""
    data = json.dumps(events, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{data}</script>')


@register.inclusion_tag("booking/calendar_subscribe.html")
def calendar_subscribe(show=None):
    """Links to subscribe to the season's calendar feed, or to one show's (booking/feeds.py)."""
    if show is None:
        path = reverse("booking:season_calendar")
    else:
        path = reverse("booking:show_calendar", args=[show.pk])
    feed_url = absolute_url(path)
    return {
        "show": show,
        "feed_url": feed_url,
        # webcal:// asks the device's calendar app to subscribe rather than download.
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
    }
