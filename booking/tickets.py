"""What a ticket is made of: the door URL in the QR code, the QR images and the calendar file."""

import io

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from icalendar import Calendar

from booking.feeds import calendar_event, site_domain
from booking.tokens import ticket_token

# Medium error correction survives a scratched print or a cracked phone screen; the quiet
# zone of four modules is what scanners expect.
QR_ERROR_CORRECTION = "m"
QR_BORDER = 4


def absolute_url(path):
    return f"{settings.WAGTAILADMIN_BASE_URL}{path}"


def door_url(reservation):
    """The only thing a QR code holds: an opaque URL with the reservation's ticket token."""
    return absolute_url(
        reverse("booking:ticket_code", args=[ticket_token(reservation.ticket_nonce)])
    )


def link_url(token):
    """The booker's link, as emailed: it leads to the reservation page."""
    return absolute_url(reverse("booking:link", args=[token]))


def cancel_link_url(token):
    """The booker's link to the page that offers to cancel the booking (it asks first)."""
    return absolute_url(reverse("booking:link_cancel", args=[token]))


def qr_code(reservation):
    return segno.make(door_url(reservation), error=QR_ERROR_CORRECTION, micro=False)


def qr_svg(reservation):
    """Inline SVG that scales to any size without blur (the ticket page and its print)."""
    return qr_code(reservation).svg_inline(
        scale=1,
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="ticket__qr-code",
        lineclass=None,
    )


def qr_png(reservation):
    """A PNG for email clients, large enough to scan from a phone held to the scanner."""
    buffer = io.BytesIO()
    qr_code(reservation).save(buffer, kind="png", scale=8, border=QR_BORDER)
    return buffer.getvalue()


def calendar_file(reservation, company_name):
    """An .ics file with the performance as an event, in UTC so every calendar agrees."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{company_name}//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = calendar_event(
        reservation.performance, uid=f"{reservation.reference}@{site_domain()}", now=timezone.now()
    )
    event.add(
        "description",
        ngettext(
            "Booking %(reference)s: %(seats)d seat",
            "Booking %(reference)s: %(seats)d seats",
            reservation.seats,
        )
        % {"reference": reservation.reference, "seats": reservation.seats},
    )
    calendar.add_component(event)
    return calendar.to_ical()
