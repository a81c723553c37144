"""Calendar feeds of the season and of one show (RFC 5545), for calendars that subscribe.

One event per listed performance, cancelled ones marked cancelled so that a subscribed
calendar updates the event instead of keeping a date that will not happen. Each event's UID is
the performance's, so a changed time moves the event in the calendar rather than adding one.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from booking.models import BookingState, Performance

# How often a subscribed calendar should come back: an hour keeps cancellations timely.
REFRESH = datetime.timedelta(hours=1)
# When a show states no duration, its events still need an end for most calendars.
DEFAULT_DURATION = datetime.timedelta(hours=2)


def season_name(company_name):
    """What the season is called where it is offered whole: its feed, the widget's link."""
    return _("%(company)s: the season") % {"company": company_name}


def season_performances():
    """Every listed performance of every show the public may see, soonest first."""
    from website.models import ShowPage

    public_shows = ShowPage.objects.live().public()
    return feed_performances(Performance.objects.listed().filter(show__in=public_shows))


def show_performances(show):
    return feed_performances(Performance.objects.filter(show=show).listed())


def feed_performances(performances):
    return performances.with_seat_counts().select_related("venue", "show").order_by("starts_at")


def calendar_feed(performances, *, name, company_name):
    """The .ics text of a feed named `name` with one event per performance."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{company_name}//Season//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    now = timezone.now()
    for performance in performances:
        calendar.add_component(performance_event(performance, now))
    return calendar.to_ical()


def performance_event(performance, now):
    """The feed's event of a performance: its state for everyone (needs with_seat_counts())."""
    show, venue = performance.show, performance.venue
    event = calendar_event(
        performance, uid=f"performance-{performance.pk}@{site_domain()}", now=now
    )
    cancelled = performance.booking_state == BookingState.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    description = [performance.booking_state.label]
    if show.subtitle:
        description.insert(0, show.subtitle)
    if venue.access_notes:
        description.append(f"{_('Getting there')}: {venue.access_notes}")
    event.add("description", "\n".join(str(line) for line in description))
    return event


def calendar_event(performance, *, uid, now):
    """A performance as a calendar event: when, how long, what and where; the feeds and the
    booker's own .ics (booking/tickets.py) add what is theirs."""
    show, venue = performance.show, performance.venue
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", performance.starts_at)
    duration = show.duration_minutes
    event.add("duration", datetime.timedelta(minutes=duration) if duration else DEFAULT_DURATION)
    event.add("summary", show.title)
    event.add("location", f"{venue.name}, {venue.one_line_address}")
    event.add("url", performance_url(performance))
    return event


def performance_url(performance):
    """The show page with this performance chosen in its booking form."""
    return f"{performance.show.full_url}?performance={performance.pk}#tickets"


def site_domain():
    return urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "localhost"
