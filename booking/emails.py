"""The booker's emails: confirmation link, ticket, cancellation, performance cancelled.

Text and HTML, translated.

Each sender returns True when the backend accepted the message. A failure is logged without
the address or any token, and reported to the caller so the visitor can be told what to do.
"""

import logging
import smtplib
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from booking import tickets

logger = logging.getLogger(__name__)

QR_CONTENT_ID = "ticket-qr"


def send_confirmation_link(reservation, token):
    return _send("confirmation_link", reservation, {"link": tickets.link_url(token)})


def send_ticket(reservation, token):
    """The ticket: QR code inline (a CID image), the .ics attached, and the ticket page link."""
    return _send(
        "ticket",
        reservation,
        {"link": tickets.link_url(token), "qr_content_id": QR_CONTENT_ID},
        attach=_ticket_attachments,
    )


def send_cancellation(reservation):
    return _send("cancellation", reservation, {})


def send_performance_cancelled(reservation):
    return _send("performance_cancelled", reservation, {})


def _ticket_attachments(message, reservation, company):
    # "related" keeps the QR image with the HTML part that shows it (cid:ticket-qr).
    message.mixed_subtype = "related"
    image = MIMEImage(tickets.qr_png(reservation), "png")
    image.add_header("Content-ID", f"<{QR_CONTENT_ID}>")
    image.add_header("Content-Disposition", "inline", filename="ticket-qr.png")
    message.attach(image)
    message.attach(
        f"{reservation.reference}.ics",
        tickets.calendar_file(reservation, company.company_name),
        "text/calendar; charset=utf-8; method=PUBLISH",
    )


def _send(template, reservation, extra_context, attach=None):
    from website.models import CompanySettings

    company = CompanySettings.load()
    context = {
        "reservation": reservation,
        "performance": reservation.performance,
        "show": reservation.performance.show,
        "venue": reservation.performance.venue,
        "company": company,
        **extra_context,
    }
    # Emails speak the site's language, whoever triggers them (a visitor, staff, a command).
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"booking/email/{template}_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string(f"booking/email/{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[reservation.email],
            reply_to=[company.email] if company.email else None,
        )
        message.attach_alternative(
            render_to_string(f"booking/email/{template}.html", context), "text/html"
        )
        if attach:
            attach(message, reservation, company)
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        logger.error(
            "Could not send the %s email for reservation %s: %s",
            template,
            reservation.pk,
            type(error).__name__,
        )
        return False
    return True
