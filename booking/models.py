"""Venues, performances and reservations: the booking data, with its invariants as constraints.

Reads live here as queryset methods; every change of a reservation's booking status is a
function in `booking/services.py`, its check-in one in `checkin/services.py`.

Seats are counted in one place, `PerformanceQuerySet.with_seat_counts()` (docs/domain-model.md):

    capacity        = room capacity + additional seats - manually occupied seats
    confirmed_seats = the seats of confirmed reservations
    available_seats = capacity - confirmed_seats, never below zero
    checked_in_seats = the seats of confirmed reservations checked in at the door
"""

import datetime
from functools import cache, cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Lower, Now
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from booking.tokens import is_well_formed, new_nonce, token_hash

# The most seats one booking may hold: the booking form's limit, and the ceiling of every
# performance's own `max_seats_per_booking`.
MAX_SEATS_PER_BOOKING = 20
# The most seats a group request may ask for: its form's limit (the box office decides).
MAX_SEATS_PER_GROUP_REQUEST = 500
GROUP_REQUEST_MESSAGE_LENGTH = 1000


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=120)
    address = models.TextField(_("address"))
    capacity = models.PositiveIntegerField(
        _("room capacity"), help_text=_("Seats in the room when nothing is set aside.")
    )
    access_notes = models.TextField(
        _("access notes"),
        blank=True,
        help_text=_("Step-free access, entrances, parking: shown on tickets and ticket emails."),
    )
    wheelchair_spaces = models.PositiveIntegerField(
        _("wheelchair spaces"),
        default=0,
        help_text=_(
            "Spaces for wheelchair users, besides the room's seats. A booking with one also "
            "books seats for the companions."
        ),
    )

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="venue_has_seats"),
        ]

    def __str__(self):
        return self.name

    @property
    def one_line_address(self):
        return ", ".join(line.strip() for line in self.address.splitlines() if line.strip())


class ReservationStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    # The waiting list of a sold-out performance (docs/booking-flow.md, ADR 0016): asked for,
    # not yet confirmed from its email; in line; offered seats that are held until the offer
    # lapses.
    JOINING = "joining", _("Joining the waiting list")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Seats offered")


# A booker may still act on these: confirm, answer an offer, leave.
OPEN_STATUSES = (
    ReservationStatus.PENDING,
    ReservationStatus.CONFIRMED,
    ReservationStatus.JOINING,
    ReservationStatus.WAITING,
    ReservationStatus.OFFERED,
)
# Not yet a booking: a request awaiting its email confirmation, or a place in the line.
UNCONFIRMED_STATUSES = (
    ReservationStatus.PENDING,
    ReservationStatus.JOINING,
    ReservationStatus.WAITING,
    ReservationStatus.OFFERED,
)
WAITING_LIST_STATUSES = (
    ReservationStatus.JOINING,
    ReservationStatus.WAITING,
    ReservationStatus.OFFERED,
)


def seat_capacity(room_capacity, additional_seats, manually_occupied_seats):
    """The seats a performance offers. It takes numbers or query expressions alike, so the
    database's count and the box office's check of a proposed capacity share it."""
    return room_capacity + additional_seats - manually_occupied_seats


def seats_of_reservations(field="seats", **conditions):
    """The seats (or the `field`, such as wheelchair spaces) of a performance's reservations
    that meet `conditions`, for an annotation."""
    total = (
        Reservation.objects.filter(performance=OuterRef("pk"), **conditions)
        .order_by()
        .values("performance")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


class PerformanceQuerySet(models.QuerySet):
    def with_seat_counts(self):
        """Annotate `capacity`, `confirmed_seats`, `held_seats` and `available_seats`: every
        reader of a performance's availability (the show page, the services, the box office,
        the dashboard) counts it here.

        Seats offered to the waiting list are held until the offer lapses: nobody else can
        book them (ADR 0016). Capacity may fall below the confirmed and held seats when the box
        office lowers it: nobody loses a booking, and the performance has no seat available.
        """
        return self.with_confirmed_seats().annotate(
            capacity=seat_capacity(
                F("venue__capacity"), F("additional_seats"), F("manually_occupied_seats")
            ),
            held_seats=seats_of_reservations(
                status=ReservationStatus.OFFERED, offer_expires_at__gt=Now()
            ),
            available_seats=Greatest(
                F("capacity") - F("confirmed_seats") - F("held_seats"), Value(0)
            ),
            # Wheelchair spaces: the same arithmetic, on their own.
            wheelchair_capacity=Coalesce("wheelchair_spaces", "venue__wheelchair_spaces"),
            confirmed_wheelchair_spaces=seats_of_reservations(
                "wheelchair_spaces", status=ReservationStatus.CONFIRMED
            ),
            held_wheelchair_spaces=seats_of_reservations(
                "wheelchair_spaces", status=ReservationStatus.OFFERED, offer_expires_at__gt=Now()
            ),
            available_wheelchair_spaces=Greatest(
                F("wheelchair_capacity")
                - F("confirmed_wheelchair_spaces")
                - F("held_wheelchair_spaces"),
                Value(0),
            ),
        )

    def with_confirmed_seats(self):
        """Annotate `confirmed_seats`: pending, cancelled and expired bookings hold no seat."""
        return self.annotate(
            confirmed_seats=seats_of_reservations(status=ReservationStatus.CONFIRMED)
        )

    def with_reminders_sent(self):
        """Annotate `reminders_sent`: the reminder emails that left for this performance."""
        sent = (
            BookingEmail.objects.filter(
                reservation__performance=OuterRef("pk"),
                kind=EmailKind.REMINDER,
                status=EmailStatus.SENT,
            )
            .order_by()
            .values("reservation__performance")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(reminders_sent=Coalesce(Subquery(sent), Value(0)))

    def listed(self):
        """Performances the public may see: not hidden, not yet started."""
        return self.filter(is_hidden=False, starts_at__gt=timezone.now())


class BookingState(models.TextChoices):
    """What the public sees of a performance (Performance.booking_state)."""

    OPEN = "open", _("On sale")
    SOLD_OUT = "sold_out", _("Sold out")
    CLOSED = "closed", _("Booking closed")
    CANCELLED = "cancelled", _("Cancelled")


class Performance(models.Model):
    show = models.ForeignKey(
        "website.ShowPage",
        on_delete=models.PROTECT,
        related_name="performances",
        verbose_name=_("show"),
    )
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="performances", verbose_name=_("venue")
    )
    starts_at = models.DateTimeField(_("starts at"))
    manually_occupied_seats = models.PositiveIntegerField(
        _("manually occupied seats"),
        default=0,
        help_text=_("Seats taken outside this site: guests, press, phone bookings."),
    )
    additional_seats = models.PositiveIntegerField(
        _("additional seats"), default=0, help_text=_("Seats added to the room's capacity.")
    )
    booking_cutoff_minutes = models.PositiveIntegerField(
        _("booking closes (minutes before the start)"), default=60
    )
    max_seats_per_booking = models.PositiveSmallIntegerField(
        _("seats per booking, at most"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SEATS_PER_BOOKING)],
        help_text=format_lazy(
            _("From 1 to {most}, the most that one booking can hold."), most=MAX_SEATS_PER_BOOKING
        ),
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    is_hidden = models.BooleanField(
        _("hidden"), default=False, help_text=_("Hidden performances are not listed or bookable.")
    )
    wheelchair_spaces = models.PositiveIntegerField(
        _("wheelchair spaces"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the venue's number."),
    )

    objects = PerformanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("performance")
        verbose_name_plural = _("performances")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(manually_occupied_seats__gte=0) & Q(additional_seats__gte=0),
                name="performance_overrides_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_seats_per_booking__gte=1),
                name="performance_allows_a_seat_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(max_seats_per_booking__lte=MAX_SEATS_PER_BOOKING),
                name="performance_seats_per_booking_within_the_form",
            ),
        ]

    def __str__(self):
        starts_at = timezone.localtime(self.starts_at).strftime("%Y-%m-%d %H:%M")
        return f"{self.show.title} — {starts_at}"

    @property
    def booking_closes_at(self):
        return self.starts_at - datetime.timedelta(minutes=self.booking_cutoff_minutes)

    def is_open_for_booking(self, now=None):
        now = now or timezone.now()
        return not (self.is_cancelled or self.is_hidden) and now < self.booking_closes_at

    @cached_property
    def booking_state(self):
        """What the public sees now, in this order: cancelled, closed, sold out or open.

        Needs with_seat_counts(). Worked out once per instance: a page that reads it for
        the list, the form and the structured data reads one answer.
        """
        if self.is_cancelled:
            return BookingState.CANCELLED
        if not self.is_open_for_booking():
            return BookingState.CLOSED
        if self.available_seats == 0:
            return BookingState.SOLD_OUT
        return BookingState.OPEN

    @property
    def takes_waiting_list(self):
        """Whether the public may join this performance's waiting list: exactly when it is
        sold out (booking is open and no seat is left). Needs with_seat_counts()."""
        return self.booking_state == BookingState.SOLD_OUT

    @property
    def public_seats_left(self):
        """The seats left as the public sees them (the show page, the API): a number only
        while the performance is on sale, None otherwise. Needs with_seat_counts()."""
        if self.booking_state != BookingState.OPEN:
            return None
        return self.available_seats

    @property
    def public_wheelchair_spaces_left(self):
        """The wheelchair spaces left, on the same terms, where the performance has any."""
        if self.booking_state != BookingState.OPEN or not self.wheelchair_capacity:
            return None
        return self.available_wheelchair_spaces


@cache
def performances_with_seat_counts():
    """`Performance.objects.with_seat_counts()`, built once per process.

    Django takes longer to build its annotations than PostgreSQL takes to run them (2.5 ms
    against 1.8 ms on the benchmark machine, docs/performance.md). This query set is never run
    itself, only cloned by each use (as a generic view's `queryset` attribute is), so every
    count is that of the moment its own query runs: the subqueries compare with the database's
    `Now()`, never with a time taken here.
    """
    return Performance.objects.with_seat_counts()


class ReservationQuerySet(models.QuerySet):
    def for_link_token(self, token):
        """The reservation behind a booker's link token (none for a malformed token).

        A booker may hold two links: the confirmation link and the link in the latest ticket
        email; both open the same booking page.
        """
        if not is_well_formed(token):
            return self.none()
        hashed = token_hash(token)
        return self.filter(Q(link_token_hash=hashed) | Q(ticket_link_token_hash=hashed))

    def with_last_email(self):
        """Annotate each reservation's latest email: `last_email_kind`, `last_email_status`."""
        latest = BookingEmail.objects.latest_per_reservation()
        return self.annotate(
            last_email_kind=Subquery(latest.values("kind")[:1]),
            last_email_status=Subquery(latest.values("status")[:1]),
        )

    def for_ticket_token(self, token):
        """The reservation behind a door QR token (none for a malformed token)."""
        if not is_well_formed(token):
            return self.none()
        return self.filter(ticket_token_hash=token_hash(token))

    def seat_counts(self):
        """`{"confirmed_seats": …, "checked_in_seats": …}` of these reservations: the confirmed
        seats are those `Performance.objects.with_confirmed_seats()` annotates (a test holds
        them equal), as one plain sum; the checked-in seats, those of them admitted at the
        door. The door reads its counters with it on every scan: Django builds this query in
        half the time of the annotations'."""
        return self.filter(status=ReservationStatus.CONFIRMED).aggregate(
            confirmed_seats=Coalesce(Sum("seats"), 0),
            checked_in_seats=Coalesce(Sum("seats", filter=Q(checked_in_at__isnull=False)), 0),
        )


class ExpiryReason(models.TextChoices):
    LINK_EXPIRED = "link_expired", _("The confirmation link expired")
    SOLD_OUT = "sold_out", _("The performance sold out before confirmation")
    PERFORMANCE_CLOSED = "performance_closed", _("Booking closed before confirmation")
    OFFER_LAPSED = "offer_lapsed", _("The offer of seats lapsed unanswered")


class Reservation(models.Model):
    # Not in Wagtail's reference index: nothing links to a reservation from content, and
    # indexing its link to the performance costs every booking and confirmation a savepoint
    # and queries (docs/performance.md).
    wagtail_reference_index_ignore = True

    performance = models.ForeignKey(
        Performance,
        on_delete=models.PROTECT,
        related_name="reservations",
        verbose_name=_("performance"),
    )
    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    # Blank only once the personal data has been erased after the performance.
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"))
    # Besides the seats (which hold the companions): counted on their own (with_seat_counts).
    wheelchair_spaces = models.PositiveSmallIntegerField(_("wheelchair spaces"), default=0)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReservationStatus.choices,
        default=ReservationStatus.PENDING,
    )
    expiry_reason = models.CharField(
        _("why it expired"), max_length=24, choices=ExpiryReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    link_expires_at = models.DateTimeField(_("confirmation link expires at"))
    # Confirmation links the mail server accepted: the visitor's resend limit counts these,
    # never the attempts that failed.
    links_sent = models.PositiveSmallIntegerField(_("confirmation links sent"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The waiting list: the line is in order of `waiting_since`; an offer holds the seats
    # until `offer_expires_at`.
    waiting_since = models.DateTimeField(_("on the waiting list since"), null=True, blank=True)
    offered_at = models.DateTimeField(_("seats offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer lapses at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    # Set once, in the transaction that queues the reminder: the job never queues a second.
    reminder_queued_at = models.DateTimeField(_("reminder queued at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    # Which door admitted the party, as its staff named it on their device (blank: unnamed).
    checked_in_door = models.CharField(_("checked in at door"), max_length=60, blank=True)
    # The door's id of the admission that checked the party in: a door whose check-in got no
    # answer queues the same admission under the same id, and the server knows it for one.
    checked_in_nonce = models.UUIDField(_("check-in nonce"), null=True, blank=True, editable=False)
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )
    # SHA-256 of the booker's link token: the raw token exists only in the emailed link.
    # NULL, not "", once erased: unique columns admit many NULLs.
    link_token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    # The link in the latest ticket email, minted by the email worker when it sends one: the
    # booker's confirmation link (in their browser's cookie) keeps working beside it.
    ticket_link_token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    # The door's QR token is derived with a key from this random nonce (see booking/tokens.py);
    # its SHA-256 is what check-in looks up.
    ticket_nonce = models.CharField(max_length=64, editable=False)
    ticket_token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )

    objects = ReservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="reservation_has_seats"),
            # One wheelchair space per booking, as the form asks; more is a group request.
            models.CheckConstraint(
                condition=Q(wheelchair_spaces__lte=1),
                name="reservation_at_most_one_wheelchair_space",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReservationStatus.values),
                name="reservation_status_is_known",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status=ReservationStatus.CONFIRMED),
                name="reservation_checked_in_only_when_confirmed",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReservationStatus.CONFIRMED) | Q(confirmed_at__isnull=False),
                name="reservation_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(expiry_reason="") | Q(status=ReservationStatus.EXPIRED),
                name="reservation_expiry_reason_only_when_expired",
            ),
            # One pending booking per person and performance: a double-click or a second try
            # updates the pending one instead of adding another.
            models.UniqueConstraint(
                Lower("email"),
                "performance",
                condition=Q(status=ReservationStatus.PENDING),
                name="reservation_one_pending_per_email_and_performance",
            ),
            # One place in line per person and performance.
            models.UniqueConstraint(
                Lower("email"),
                "performance",
                condition=Q(status__in=WAITING_LIST_STATUSES),
                name="reservation_one_waiting_list_place_per_email_and_performance",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReservationStatus.OFFERED) | Q(offer_expires_at__isnull=False),
                name="reservation_offer_has_a_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=(ReservationStatus.WAITING, ReservationStatus.OFFERED))
                | Q(waiting_since__isnull=False),
                name="reservation_in_line_has_a_place",
            ),
        ]
        indexes = [models.Index(fields=["performance", "status"])]
        permissions = [
            ("check_in_reservation", _("Can check in reservations at the door")),
            ("undo_check_in", _("Can undo a check-in")),
        ]

    def __str__(self):
        return self.reference

    @property
    def last_email_kind_display(self):
        """Needs with_last_email()."""
        return EmailKind(self.last_email_kind).label if self.last_email_kind else ""

    @property
    def last_email_status_display(self):
        """Needs with_last_email()."""
        return EmailStatus(self.last_email_status).label if self.last_email_status else ""

    @property
    def is_checked_in(self):
        return self.checked_in_at is not None

    @property
    def link_expires_at_booking_cutoff(self):
        """Whether the link lapses when online booking closes, before its usual validity."""
        return self.link_expires_at >= self.performance.booking_closes_at

    def link_has_expired(self, now=None):
        return (now or timezone.now()) >= self.link_expires_at

    @property
    def link_limit_reached(self):
        return self.links_sent >= settings.BOOKING_MAX_LINKS_SENT

    @property
    def can_get_a_new_link(self):
        confirming = self.status in (ReservationStatus.PENDING, ReservationStatus.JOINING)
        return confirming and not self.link_limit_reached

    def can_be_cancelled(self, now=None):
        """Still open (a booking, or a place on the waiting list), nobody checked in yet, and
        the performance not started."""
        return (
            self.status in OPEN_STATUSES
            and not self.is_checked_in
            and (now or timezone.now()) < self.performance.starts_at
        )

    @property
    def is_on_waiting_list(self):
        return self.status in WAITING_LIST_STATUSES

    def offer_has_lapsed(self, now=None):
        return (now or timezone.now()) >= self.offer_expires_at

    def position_in_line(self):
        """Its place on its performance's waiting list, from 1 (needs status WAITING), as the
        box office's listing numbers it (WaitingListQuerySet.with_position)."""
        places = WaitingListPlace.objects.with_position()
        return places.values_list("position", flat=True).get(pk=self.pk)


class GroupRequest(models.Model):
    """A request for more seats than one booking may hold, for the box office to answer.

    It reserves nothing: no seat is held, and it never enters the seat counts. The box office
    gets it by email (through the outbox) and in its "Group requests" listing, and marks it
    handled there. Its personal data is erased with the bookings' (`erase_personal_data`).
    """

    wagtail_reference_index_ignore = True

    performance = models.ForeignKey(
        Performance,
        on_delete=models.PROTECT,
        related_name="group_requests",
        verbose_name=_("performance"),
    )
    # Blank only once the personal data has been erased after the performance.
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"))
    message = models.TextField(_("message"), max_length=GROUP_REQUEST_MESSAGE_LENGTH, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("group request")
        verbose_name_plural = _("group requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # More than one booking may hold, and every performance allows a booking of one.
            models.CheckConstraint(condition=Q(seats__gte=2), name="group_request_is_a_group"),
        ]

    def __str__(self):
        # No name or email: this is the label of its audit log entries, which outlive erasure.
        return _("Group request %(number)s") % {"number": self.pk}

    @property
    def is_handled(self):
        return self.handled_at is not None


class EmailKind(models.TextChoices):
    CONFIRMATION_LINK = "confirmation_link", _("Confirmation link")
    TICKET = "ticket", _("Ticket")
    CANCELLATION = "cancellation", _("Booking cancelled")
    PERFORMANCE_CANCELLED = "performance_cancelled", _("Performance cancelled")
    REMINDER = "reminder", _("Reminder")
    WAITING_LIST_LINK = "waiting_list_link", _("Waiting list: confirmation link")
    OFFER = "offer", _("Waiting list: seats offered")
    # To the box office, about a GroupRequest rather than a reservation.
    GROUP_REQUEST = "group_request", _("Group request")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Overtaken before it left: the booking changed (confirmed, cancelled, erased) so that the
    # email would be wrong or pointless.
    WITHDRAWN = "withdrawn", _("Not sent: no longer needed")


class BookingEmailQuerySet(models.QuerySet):
    def latest_per_reservation(self):
        """For a Subquery on reservations: their emails, newest first (Meta.ordering)."""
        return self.filter(reservation=OuterRef("pk"))


class BookingEmail(models.Model):
    """An email due to a booker: the outbox row written in the transaction of the change it
    reports, sent by the email worker (booking/emails.py, ADR 0013). Or, of kind
    `group_request`, an email to the box office about a `GroupRequest`.

    It holds no address, text or token: the worker renders the email from the reservation (or
    the group request) when it sends, and mints the link token from `link_nonce` only then.
    """

    wagtail_reference_index_ignore = True

    # One of the two, as its kind says (booking_email_about_a_reservation_or_a_group_request).
    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("reservation"),
    )
    group_request = models.ForeignKey(
        GroupRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("group request"),
    )
    kind = models.CharField(_("email"), max_length=24, choices=EmailKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # The exception's class only: an SMTP error message may quote the address.
    last_error = models.CharField(_("last error"), max_length=120, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The link this email carries is derived from this nonce when it is sent (booking/tokens.py),
    # so that a second attempt, after a worker died before recording the first, sends the same
    # working link; only its hash is stored on the reservation once the email has left.
    link_nonce = models.CharField(max_length=64, default=new_nonce, editable=False)

    objects = BookingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking email")
        verbose_name_plural = _("booking emails")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EmailKind.values), name="booking_email_kind_is_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="booking_email_status_is_known"
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(status=EmailStatus.SENT),
                name="booking_email_sent_at_only_when_sent",
            ),
            models.CheckConstraint(
                condition=~Q(status=EmailStatus.SENT) | Q(sent_at__isnull=False),
                name="booking_email_sent_has_time",
            ),
            # A group request's email is about the request; every other email about a booking.
            models.CheckConstraint(
                condition=Q(
                    kind=EmailKind.GROUP_REQUEST,
                    reservation__isnull=True,
                    group_request__isnull=False,
                )
                | (
                    ~Q(kind=EmailKind.GROUP_REQUEST)
                    & Q(reservation__isnull=False, group_request__isnull=True)
                ),
                name="booking_email_about_a_reservation_or_a_group_request",
            ),
            # A booking is reminded once, whatever runs the job (booking.services.remind).
            models.UniqueConstraint(
                fields=["reservation"],
                condition=Q(kind=EmailKind.REMINDER),
                name="booking_email_one_reminder_per_reservation",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.reservation or self.group_request}"


class WaitingListQuerySet(ReservationQuerySet):
    def with_position(self):
        """Annotate `position`: a waiting place's rank in its performance's line, 1 for the
        next to be offered seats, in the order `offer_freed_seats` goes through the line
        (`waiting_since`, then pk); `Reservation.position_in_line()` reads it for the booker.
        None for a place still joining (its email link unused) or already offered seats.

        Counted over the whole line, not over the rows a query keeps: a window function
        (ROW_NUMBER) numbers only the rows that a search or a filter lets through, and a search
        for the fifth person in line would show her first.
        """
        ahead_or_here = (
            Reservation.objects.filter(
                performance=OuterRef("performance"), status=ReservationStatus.WAITING
            )
            .filter(
                Q(waiting_since__lt=OuterRef("waiting_since"))
                | Q(waiting_since=OuterRef("waiting_since"), pk__lte=OuterRef("pk"))
            )
            .order_by()
            .values("performance")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(
            position=models.Case(
                models.When(status=ReservationStatus.WAITING, then=Subquery(ahead_or_here)),
                default=None,
                output_field=models.IntegerField(),
            )
        )


class WaitingListManager(models.Manager.from_queryset(WaitingListQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(status__in=WAITING_LIST_STATUSES)


class WaitingListPlace(Reservation):
    """A place on a performance's waiting list, as the box office's listing shows it: a
    reservation joining the list, in line, or offered seats. A proxy: no table of its own.

    It has no permissions of its own (`default_permissions = ()`): whoever may view
    reservations views the waiting list, and offering seats takes the right to change them
    (booking/viewsets.py, WaitingListPermissionPolicy). So no migration grants anything to a
    group, and the group editor lists no permission that would do nothing.
    """

    objects = WaitingListManager()

    class Meta:
        proxy = True
        verbose_name = _("place on the waiting list")
        verbose_name_plural = _("waiting list")
        default_permissions = ()
