"""Box office actions in the Wagtail admin: each asks first, then calls one booking service."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from booking import feeds, services
from booking.models import Performance, Reservation, ReservationStatus, WaitingListPlace
from booking.tickets import absolute_url
from booking.viewsets import local_datetime
from website.models import CompanySettings, ShowIndexPage, ShowPage


class BookingActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A confirmation page for one object; the POST runs `perform` and returns to the listing."""

    model = None
    permission_required = "change"
    template_name = "booking/admin/confirm_action.html"
    form_class = forms.Form
    listing_url_name = None

    @property
    def permission_policy(self):
        return ModelPermissionPolicy(self.model)

    def dispatch(self, request, *args, pk, **kwargs):
        self.object = get_object_or_404(self.get_queryset(), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.model.objects.all()

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.listing_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": "", "label": f"{self.get_page_title()}: {self.object}"},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.object,
            description=self.get_description(),
            cancel_url=reverse(self.listing_url_name),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            message = self.perform(form)
        except services.BookingRefused as refusal:
            messages.error(self.request, refusal.message)
        else:
            messages.success(self.request, message)
        return redirect(self.listing_url_name)


class ReservationActionView(BookingActionView):
    model = Reservation
    listing_url_name = "wagtailsnippets_booking_reservation:list"

    def get_queryset(self):
        return Reservation.objects.select_related("performance__show")


class CancelReservationView(ReservationActionView):
    page_title = gettext_lazy("Cancel booking")
    header_icon = "cross"

    def get_description(self):
        if self.object.status == ReservationStatus.PENDING:
            return _(
                "This booking by %(name)s for %(performance)s was never confirmed: it holds no "
                "seats, and its confirmation link stops working."
            ) % {"name": self.object.name, "performance": self.object.performance}
        if self.object.is_on_waiting_list:
            return _(
                "%(name)s leaves the waiting list for %(performance)s; any seats held for "
                "them go to the next in line."
            ) % {"name": self.object.name, "performance": self.object.performance}
        return ngettext(
            "The %(seats)d seat of %(name)s for %(performance)s goes back on sale, the ticket "
            "stops working, and %(name)s gets an email.",
            "The %(seats)d seats of %(name)s for %(performance)s go back on sale, the ticket "
            "stops working, and %(name)s gets an email.",
            self.object.seats,
        ) % {
            "name": self.object.name,
            "seats": self.object.seats,
            "performance": self.object.performance,
        }

    def perform(self, form):
        services.cancel(self.object.pk, by=self.request.user)
        return _("Booking %(reference)s cancelled.") % {"reference": self.object.reference}


class ReissueTicketView(ReservationActionView):
    page_title = gettext_lazy("Reissue ticket")
    header_icon = "mail"

    def get_description(self):
        return _(
            "%(email)s gets a new ticket by email. The old ticket and its link stop working: "
            "use this when a ticket was lost or forwarded by mistake."
        ) % {"email": self.object.email}

    def perform(self, form):
        services.reissue_ticket(self.object.pk, by=self.request.user)
        return _(
            "A new ticket for %(reference)s has been issued; its email is on its way. The "
            "“Last email” column shows when it has left."
        ) % {"reference": self.object.reference}


class ResendEmailView(ReservationActionView):
    page_title = gettext_lazy("Resend email")
    header_icon = "mail"

    def get_description(self):
        if self.object.status in (ReservationStatus.PENDING, ReservationStatus.JOINING):
            return _(
                "%(email)s gets the link to confirm again, valid from the moment it leaves. The "
                "link sent before works until the new one has left."
            ) % {"email": self.object.email}
        if self.object.status == ReservationStatus.OFFERED:
            return _("%(email)s gets the offer again, with the same deadline: %(deadline)s.") % {
                "email": self.object.email,
                "deadline": date_format(
                    timezone.localtime(self.object.offer_expires_at), "DATETIME_FORMAT"
                ),
            }
        return _(
            "%(email)s gets the ticket by email again: the same QR code, with a new link to "
            "the ticket page."
        ) % {"email": self.object.email}

    def perform(self, form):
        services.resend_email(self.object.pk, by=self.request.user)
        return _("The email for %(reference)s is on its way.") % {
            "reference": self.object.reference
        }


class OfferSeatsView(ReservationActionView):
    """Offer seats to a place on the waiting list by hand, in or out of turn, when they are
    free. It takes the right to change reservations, as the other actions do: the waiting list
    has no permissions of its own (booking.models.WaitingListPlace)."""

    model = WaitingListPlace
    listing_url_name = "wagtailsnippets_booking_waitinglistplace:list"
    page_title = gettext_lazy("Offer seats")
    header_icon = "tick"

    @property
    def permission_policy(self):
        return ModelPermissionPolicy(Reservation)

    def get_description(self):
        free = services.performance_with_seat_counts(self.object.performance_id).available_seats
        return ngettext(
            "The %(seats)d seat %(name)s asked for at %(performance)s is held for them for up "
            "to %(hours)d hours, and they get an email to confirm it. Seats free now: %(free)d.",
            "The %(seats)d seats %(name)s asked for at %(performance)s are held for them for up "
            "to %(hours)d hours, and they get an email to confirm them. Seats free now: "
            "%(free)d.",
            self.object.seats,
        ) % {
            "seats": self.object.seats,
            "name": self.object.name,
            "performance": self.object.performance,
            "hours": settings.BOOKING_WAITLIST_OFFER_HOURS,
            "free": free,
        }

    def perform(self, form):
        place = services.offer_seats(self.object.pk, by=self.request.user)
        deadline = local_datetime(place.offer_expires_at)
        return _(
            "Seats offered to %(name)s (%(reference)s) until %(deadline)s; the email is on its way."
        ) % {"name": place.name, "reference": place.reference, "deadline": deadline}


class CancelPerformanceForm(forms.Form):
    reservations = forms.ChoiceField(
        label=gettext_lazy("What happens to its bookings?"),
        widget=forms.RadioSelect,
        choices=[
            ("cancel", gettext_lazy("Cancel them all and email every confirmed booker")),
            ("keep", gettext_lazy("Keep them: I will contact the bookers myself")),
        ],
    )


class CancelPerformanceView(BookingActionView):
    model = Performance
    page_title = gettext_lazy("Cancel performance")
    header_icon = "cross"
    form_class = CancelPerformanceForm
    listing_url_name = "wagtailsnippets_booking_performance:list"

    def get_queryset(self):
        return Performance.objects.with_seat_counts().select_related("show", "venue")

    def get_description(self):
        return ngettext(
            "%(performance)s will show as cancelled on the website and take no more bookings. "
            "It has %(confirmed)d confirmed seat.",
            "%(performance)s will show as cancelled on the website and take no more bookings. "
            "It has %(confirmed)d confirmed seats.",
            self.object.confirmed_seats,
        ) % {"performance": self.object, "confirmed": self.object.confirmed_seats}

    def perform(self, form):
        count = services.cancel_performance(
            self.object.pk,
            cancel_reservations=form.cleaned_data["reservations"] == "cancel",
            by=self.request.user,
        )
        return ngettext(
            "%(performance)s is cancelled, and %(count)d booking with it.",
            "%(performance)s is cancelled, and %(count)d bookings with it.",
            count,
        ) % {"performance": self.object, "count": count}


def may_share_the_season(user):
    """Who sees the partner widget's page: the box office and the editors, who deal with
    partner sites. Door staff have no use for it. What it shows is public anyway."""
    return user.has_perm(
        "booking.view_performance"
    ) or PagePermissionPolicy().user_has_any_permission(user, {"add", "change", "publish"})


class PartnerWidgetView(WagtailAdminTemplateMixin, TemplateView):
    """What to send a partner site: the widget's embed code, for the season or one show, the
    origins allowed to use it, and a live preview (booking/static/booking/widget.js)."""

    page_title = gettext_lazy("Partner widget")
    header_icon = "code"
    template_name = "booking/admin/partner_widget.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def dispatch(self, request, *args, **kwargs):
        if not may_share_the_season(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        shows = list(ShowPage.objects.live().public().upcoming())
        chosen = next((s for s in shows if str(s.pk) == self.request.GET.get("show")), None)
        company = CompanySettings.load().company_name
        if chosen is None:
            index = ShowIndexPage.objects.live().public().first()
            fallback_url = index.full_url if index else absolute_url("/")
            fallback_text = feeds.season_name(company)
        else:
            fallback_url, fallback_text = chosen.full_url, f"{chosen.title} · {company}"
        embed = {
            # The name without collectstatic's hash: partners keep one URL across releases.
            "script_url": absolute_url(f"{settings.STATIC_URL}booking/widget.js"),
            "show": chosen,
            "fallback_url": fallback_url,
            "fallback_text": fallback_text,
        }
        return super().get_context_data(
            shows=shows,
            chosen=chosen,
            embed=embed,
            embed_code=render_to_string("booking/partner_widget_embed.html", embed).strip(),
            allowed_origins=settings.CORS_ALLOWED_ORIGINS,
            **kwargs,
        )
