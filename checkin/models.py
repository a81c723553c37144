"""What the door keeps of its own: the check-ins a door made offline, as they reached the server.

A door without a network admits parties from its downloaded door list and queues each
admission with a nonce; once online it sends the queue (checkin/services.py). Every queued
admission is kept here under its nonce, so a replay changes nothing, with what the server made
of it: recorded, or a conflict the box office reviews.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from booking.models import Performance, Reservation


class OfflineOutcome(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    # The party was already checked in, online or by another door's earlier queue.
    ADMITTED_TWICE = "admitted_twice", _("Admitted twice")
    # Cancelled, unconfirmed or moved while the door was offline: admitted on a stale list.
    NO_LONGER_VALID = "no_longer_valid", _("Ticket no longer valid")


class OfflineCheckInQuerySet(models.QuerySet):
    def conflicts(self):
        """The admissions the box office should look at: all but the recorded ones."""
        return self.exclude(outcome=OfflineOutcome.RECORDED)


class OfflineCheckIn(models.Model):
    # Nothing in the content links to it (as for Reservation): no reference index to keep.
    wagtail_reference_index_ignore = True

    # The device's id of this admission: the same admission sent twice is one row.
    nonce = models.UUIDField(_("nonce"), unique=True, editable=False)
    performance = models.ForeignKey(
        Performance,
        on_delete=models.CASCADE,
        related_name="offline_check_ins",
        verbose_name=_("performance"),
    )
    reservation = models.ForeignKey(
        Reservation,
        null=True,
        on_delete=models.SET_NULL,
        related_name="offline_check_ins",
        verbose_name=_("booking"),
    )
    # When and where the device admitted the party, by its own clock and its staff's name for
    # the door; who was logged in on it.
    admitted_at = models.DateTimeField(_("admitted at (device time)"))
    door = models.CharField(_("door"), max_length=60, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("admitted by"),
    )
    received_at = models.DateTimeField(_("received at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=OfflineOutcome.choices)
    # For a party admitted twice: the check-in the server had already recorded.
    earlier_checked_in_at = models.DateTimeField(_("first checked in at"), null=True, blank=True)
    earlier_door = models.CharField(_("first door"), max_length=60, blank=True)
    earlier_checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("first checked in by"),
    )

    objects = OfflineCheckInQuerySet.as_manager()

    class Meta:
        verbose_name = _("offline check-in")
        verbose_name_plural = _("offline check-ins")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=OfflineOutcome.values),
                name="offline_check_in_outcome_is_known",
            ),
        ]

    def __str__(self):
        """The booking and what happened to it: "K7Q2M4PX · Grazia Deledda, 2 · Admitted twice"."""
        if self.reservation is None:
            return str(self.get_outcome_display())
        reservation = self.reservation
        party = (
            f"{reservation.name}, {reservation.seats}" if reservation.name else reservation.seats
        )
        return f"{reservation.reference} · {party} · {self.get_outcome_display()}"
