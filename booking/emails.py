"""The booker's emails, through an outbox (ADR 0013).

A service that changes a reservation queues the email that reports it (`queue`) in the same
transaction, so that both happen or neither does. The email worker (`manage.py email_worker`,
django-tasks' database backend) sends it later with `deliver`: it renders the email from the
reservation as it is then, mints the link token from the row's nonce (storing its hash once the
mail server has accepted the email), and retries with backoff when the mail server fails. No
request ever waits for the mail server, and no raw token is ever stored: not in the outbox row,
not in the task's arguments.
"""

import datetime
import logging
import smtplib
from email.mime.image import MIMEImage
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from booking import tickets
from booking.models import BookingEmail, EmailKind, EmailStatus, GroupRequest, ReservationStatus
from booking.tokens import link_token, token_hash

logger = logging.getLogger(__name__)

# The task backend alias of the outbox (settings.TASKS); Wagtail's own tasks keep "default".
TASK_BACKEND = "email"
QR_CONTENT_ID = "ticket-qr"
# The emails that carry a link to the booker's page, minted when they are sent.
LINKED_KINDS = (
    EmailKind.CONFIRMATION_LINK,
    EmailKind.WAITING_LIST_LINK,
    EmailKind.OFFER,
    EmailKind.TICKET,
    EmailKind.REMINDER,
)
# The emails that ask to confirm through a fresh link, which replaces the previous one.
CONFIRMING_KINDS = (EmailKind.CONFIRMATION_LINK, EmailKind.WAITING_LIST_LINK)
# The emails that carry the ticket: its QR code, and the link to the ticket page.
TICKET_KINDS = (EmailKind.TICKET, EmailKind.REMINDER)


def queue(reservation, kind):
    """Record that `kind` is due to the booker and hand it to the worker: call inside the
    transaction of the change it reports."""
    email = BookingEmail.objects.create(reservation=reservation, kind=kind)
    send_email.enqueue(email.pk)
    return email


def queue_group_request(group_request):
    """Record that the box office is due an email about a group request, and hand it to the
    worker: call inside the transaction that saves the request."""
    email = BookingEmail.objects.create(group_request=group_request, kind=EmailKind.GROUP_REQUEST)
    send_email.enqueue(email.pk)
    return email


@task(backend=TASK_BACKEND)
def send_email(email_id):
    """The worker's task: one attempt at one outbox row."""
    return deliver(email_id)


def deliver(email_id, *, now=None):
    """Send an outbox row once; returns its status afterwards.

    The row stays locked while the mail server answers, so that two runs of the same task (a
    lost task queued again while the first still runs) send it once: the second finds it sent.
    The only duplicate left is a worker killed after the mail server accepted the message and
    before the commit: the second copy is the same message, with the same Message-ID and the
    same link (derived from the row's nonce), which works once that copy is recorded.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The booker's emails join their reservation's show and venue. The box office's group
        # request emails, rare, read theirs in a query of their own: joining both paths built
        # two show pages' columns for every email (2.7 ms of CPU, docs/performance.md).
        email = (
            BookingEmail.objects.select_for_update(of=("self",))
            .select_related("reservation__performance__show", "reservation__performance__venue")
            .filter(pk=email_id)
            .first()
        )
        if email is None or email.status != EmailStatus.QUEUED:
            return email.status if email else None
        if email.group_request_id:
            email.group_request = GroupRequest.objects.select_related(
                "performance__show", "performance__venue"
            ).get(pk=email.group_request_id)
        reservation = email.reservation
        if not still_due(email, now):
            email.status = EmailStatus.WITHDRAWN
            email.next_attempt_at = None
            email.save(update_fields=["status", "next_attempt_at"])
            return email.status

        token = link_for(email) if email.kind in LINKED_KINDS else None
        if email.kind in CONFIRMING_KINDS:
            # A fresh link is valid from the moment it leaves (the email says until when).
            from booking.services import link_deadline

            reservation.link_expires_at = link_deadline(reservation.performance, now)
        email.attempts += 1
        email.last_attempt_at = now
        try:
            render(email, token).send()
        except DatabaseError:
            # The transaction is lost with the connection: the email stays queued, and the
            # worker's next pass queues it again (requeue_lost).
            raise
        except (smtplib.SMTPException, OSError) as error:
            return record_failure(email, error, now)
        except Exception as error:
            # A fault of ours (a template, a header): counted and retried like a mail server's,
            # so that it ends as "failed" where the box office sees it, not stuck as queued.
            logger.exception("The %s email %s could not be built", email.kind, email.pk)
            return record_failure(email, error, now)

        email.status = EmailStatus.SENT
        email.sent_at = now
        email.next_attempt_at = None
        email.last_error = ""
        email.save()
        if email.kind in CONFIRMING_KINDS:
            # The link just sent replaces any earlier one.
            reservation.link_token_hash = token_hash(token)
            reservation.links_sent += 1
            reservation.save(update_fields=["link_token_hash", "link_expires_at", "links_sent"])
        elif email.kind in TICKET_KINDS and reservation.ticket_link_token_hash != token_hash(token):
            reservation.ticket_link_token_hash = token_hash(token)
            reservation.save(update_fields=["ticket_link_token_hash"])
        elif email.kind == EmailKind.OFFER and reservation.link_token_hash != token_hash(token):
            reservation.link_token_hash = token_hash(token)
            reservation.save(update_fields=["link_token_hash"])
    return email.status


def link_for(email):
    """The link an email carries, derived from an outbox row's nonce.

    A reminder repeats the link of the ticket email it follows, and an offer the link of the
    waiting-list email, so that every email's link keeps working; when no sent email holds the
    current link (it never left), it mints its own.
    """
    reservation = email.reservation
    if email.kind == EmailKind.REMINDER:
        current, kinds = reservation.ticket_link_token_hash, TICKET_KINDS
    elif email.kind == EmailKind.OFFER:
        current, kinds = reservation.link_token_hash, (*CONFIRMING_KINDS, EmailKind.OFFER)
    else:
        return link_token(email.link_nonce)
    if current:
        sent = reservation.emails.filter(kind__in=kinds, status=EmailStatus.SENT)
        for nonce in sent.values_list("link_nonce", flat=True):
            token = link_token(nonce)
            if token_hash(token) == current:
                return token
    return link_token(email.link_nonce)


def still_due(email, now):
    """Whether the email still says something true and useful about its reservation (or, to
    the box office, about its group request: until its personal data is erased)."""
    if email.kind == EmailKind.GROUP_REQUEST:
        group_request = email.group_request
        return bool(group_request.email) and not group_request.personal_data_erased_at
    reservation = email.reservation
    if not reservation.email or reservation.personal_data_erased_at:
        return False
    if email.kind in CONFIRMING_KINDS:
        # A lapsed link is no reason to withhold a new one: the link sent now is valid from now.
        awaiting = (
            ReservationStatus.PENDING
            if email.kind == EmailKind.CONFIRMATION_LINK
            else ReservationStatus.JOINING
        )
        return reservation.status == awaiting and reservation.performance.is_open_for_booking(now)
    if email.kind == EmailKind.OFFER:
        return reservation.status == ReservationStatus.OFFERED and not reservation.offer_has_lapsed(
            now
        )
    if email.kind == EmailKind.TICKET:
        return reservation.status == ReservationStatus.CONFIRMED
    if email.kind == EmailKind.CANCELLATION:
        return reservation.status == ReservationStatus.CANCELLED
    if email.kind == EmailKind.REMINDER:
        # Late is pointless, and a party already in needs no reminder.
        return (
            reservation.status == ReservationStatus.CONFIRMED
            and not reservation.is_checked_in
            and not reservation.performance.is_cancelled
            and now < reservation.performance.starts_at
        )
    return reservation.performance.is_cancelled


def retry_delay(attempts):
    """1, 2, 4, … minutes after each failed attempt, at most BOOKING_EMAIL_RETRY_MAX_SECONDS."""
    seconds = settings.BOOKING_EMAIL_RETRY_SECONDS * 2 ** (attempts - 1)
    return datetime.timedelta(seconds=min(seconds, settings.BOOKING_EMAIL_RETRY_MAX_SECONDS))


def is_permanent(error):
    # The server refused every recipient with a permanent (5xx) code: the address is wrong,
    # and no retry will change that.
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )


def record_failure(email, error, now):
    """Count a failed attempt: retry later with backoff, or give up visibly."""
    email.last_error = type(error).__name__
    if is_permanent(error) or email.attempts >= settings.BOOKING_EMAIL_ATTEMPTS:
        email.status = EmailStatus.FAILED
        email.next_attempt_at = None
    else:
        email.next_attempt_at = now + retry_delay(email.attempts)
        send_email.using(run_after=email.next_attempt_at).enqueue(email.pk)
    email.save()
    # Neither the address nor the server's message (which may quote it) is logged.
    logger.warning(
        "Could not send the %s email %s for %s %s (attempt %d, %s): %s",
        email.kind,
        email.pk,
        "reservation" if email.reservation_id else "group request",
        email.reservation_id or email.group_request_id,
        email.attempts,
        "gave up" if email.status == EmailStatus.FAILED else "will retry",
        email.last_error,
    )
    return email.status


def requeue_lost(*, starting=False, now=None):
    """Queue again every waiting email whose task is gone; returns how many.

    The worker runs this between its passes, when none of its own tasks runs. A task marked
    running belongs to a worker that is no more: when the worker starts, since one worker
    works the outbox, or once it has run longer than any send can take. A task that failed
    (the database went away mid-task) left its email waiting too. Were a second worker
    running after all, the row lock in `deliver` would still send each email once.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    tasks = DBTaskResult.objects.filter(backend_name=TASK_BACKEND)
    abandoned = tasks.filter(status=TaskResultStatus.RUNNING)
    if not starting:
        abandoned = abandoned.filter(started_at__lt=now - longest_send())
    abandoned.update(status=TaskResultStatus.FAILED, finished_at=now)
    pending = tasks.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
    waiting = {
        args_kwargs["args"][0]
        for args_kwargs in pending.values_list("args_kwargs", flat=True)
        if args_kwargs.get("args")
    }
    lost = list(
        BookingEmail.objects.filter(status=EmailStatus.QUEUED)
        .exclude(pk__in=waiting)
        .only("pk", "next_attempt_at")
    )
    for email in lost:
        send_email.using(run_after=email.next_attempt_at or now).enqueue(email.pk)
    return len(lost)


def longest_send():
    """More than one attempt can take: a connection and a conversation, each bounded by
    EMAIL_TIMEOUT, and the rendering."""
    return datetime.timedelta(seconds=3 * settings.EMAIL_TIMEOUT + 60)


def render(email, token):
    """The message for an outbox row, in the site's language, whoever caused it."""
    from website.models import CompanySettings

    company = CompanySettings.load()
    if email.kind == EmailKind.GROUP_REQUEST:
        return render_group_request(email, company)
    reservation = email.reservation
    context = {
        "reservation": reservation,
        "performance": reservation.performance,
        "show": reservation.performance.show,
        "venue": reservation.performance.venue,
        "company": company,
    }
    if token:
        context["link"] = tickets.link_url(token)
        context["cancel_link"] = tickets.cancel_link_url(token)
    if email.kind in TICKET_KINDS:
        context["qr_content_id"] = QR_CONTENT_ID
    template = email.kind
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"booking/email/{template}_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string(f"booking/email/{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[reservation.email],
            reply_to=[company.email] if company.email else None,
            headers={"Message-ID": message_id(email)},
        )
        message.attach_alternative(
            render_to_string(f"booking/email/{template}.html", context), "text/html"
        )
        if email.kind == EmailKind.TICKET:
            attach_ticket(message, reservation, company)
        elif email.kind == EmailKind.REMINDER:
            attach_qr_code(message, reservation)
    return message


def render_group_request(email, company):
    """The box office's copy of a group request: to the company's address (the sender's when
    none is set), answered straight to the requester. It carries no link token."""
    group_request = email.group_request
    performance = group_request.performance
    context = {
        "group_request": group_request,
        "performance": performance,
        "show": performance.show,
        "venue": performance.venue,
        "company": company,
        "limit": performance.max_seats_per_booking,
        "admin_url": tickets.absolute_url(
            reverse("wagtailsnippets_booking_grouprequest:edit", args=[group_request.pk])
        ),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("booking/email/group_request_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("booking/email/group_request.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[company.email or settings.DEFAULT_FROM_EMAIL],
            reply_to=[group_request.email],
            headers={"Message-ID": message_id(email)},
        )
        message.attach_alternative(
            render_to_string("booking/email/group_request.html", context), "text/html"
        )
    return message


def message_id(email):
    """The same for every attempt at one outbox row, so a duplicate is recognisable."""
    domain = urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "localhost"
    if email.group_request_id:
        return f"<booking-email-{email.pk}.group-request-{email.group_request_id}@{domain}>"
    return f"<booking-email-{email.pk}.{email.reservation.reference}@{domain}>"


def attach_qr_code(message, reservation):
    """The QR code inline: a CID image, from the ticket token derived at send time."""
    # "related" keeps the QR image with the HTML part that shows it (cid:ticket-qr).
    message.mixed_subtype = "related"
    image = MIMEImage(tickets.qr_png(reservation), "png")
    image.add_header("Content-ID", f"<{QR_CONTENT_ID}>")
    image.add_header("Content-Disposition", "inline", filename="ticket-qr.png")
    message.attach(image)


def attach_ticket(message, reservation, company):
    """The QR code inline and the .ics attached."""
    attach_qr_code(message, reservation)
    message.attach(
        f"{reservation.reference}.ics",
        tickets.calendar_file(reservation, company.company_name),
        "text/calendar; charset=utf-8; method=PUBLISH",
    )


def latest(reservation, kind):
    """The reservation's latest email of a kind, or None: what the booker's pages report."""
    return reservation.emails.filter(kind=kind).first()  # newest first: Meta.ordering
