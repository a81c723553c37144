"""Registers the box office in the Wagtail admin: menu, actions, audit log labels, dashboard."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.models import register_snippet

from booking import admin_views, services
from booking.models import GroupRequest, Performance, Reservation, performances_with_seat_counts
from booking.viewsets import BoxOfficeGroup, local_start
from website.models import SHOW_PERFORMANCES_HOOK

register_snippet(BoxOfficeGroup)

# The box office's actions (booking/admin_views.py), under the URL names the viewsets' buttons
# reverse.
ADMIN_URLS = [
    path(
        "booking/performances/<int:pk>/cancel/",
        admin_views.CancelPerformanceView.as_view(),
        name="booking_cancel_performance",
    ),
    path(
        "booking/reservations/<int:pk>/cancel/",
        admin_views.CancelReservationView.as_view(),
        name="booking_cancel_reservation",
    ),
    path(
        "booking/reservations/<int:pk>/reissue/",
        admin_views.ReissueTicketView.as_view(),
        name="booking_reissue_ticket",
    ),
    path(
        "booking/reservations/<int:pk>/resend-email/",
        admin_views.ResendEmailView.as_view(),
        name="booking_resend_email",
    ),
    path(
        "booking/waiting-list/<int:pk>/offer/",
        admin_views.OfferSeatsView.as_view(),
        name="booking_offer_seats",
    ),
    path(
        "booking/partner-widget/",
        admin_views.PartnerWidgetView.as_view(),
        name="booking_partner_widget",
    ),
]


@hooks.register("register_admin_urls")
def register_booking_admin_urls():
    return [path("", include(ADMIN_URLS))]


class PartnerWidgetMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.may_share_the_season(request.user)


@hooks.register("register_admin_menu_item")
def register_partner_widget_menu_item():
    return PartnerWidgetMenuItem(
        _("Partner widget"),
        reverse("booking_partner_widget"),
        name="partner-widget",
        icon_name="code",
        order=BoxOfficeGroup.menu_order + 1,
    )


@hooks.register("register_log_actions")
def register_booking_log_actions(actions):
    actions.register_action(services.CANCEL_ACTION, _("Cancel booking"), _("Booking cancelled"))
    actions.register_action(services.REISSUE_ACTION, _("Reissue ticket"), _("Ticket reissued"))
    actions.register_action(services.RESEND_EMAIL_ACTION, _("Resend email"), _("Email sent again"))
    actions.register_action(
        services.CANCEL_PERFORMANCE_ACTION, _("Cancel performance"), _("Performance cancelled")
    )
    actions.register_action(
        services.OFFER_SEATS_ACTION, _("Offer seats"), _("Seats offered from the waiting list")
    )

    @actions.register_action(services.CAPACITY_CHANGE_ACTION)
    class CapacityChange(LogFormatter):
        label = _("Change capacity")

        def format_message(self, log_entry):
            changes = ", ".join(
                f"{Performance._meta.get_field(field).verbose_name}: {values[0]} → {values[1]}"
                for field, values in log_entry.data.items()
                if field in services.CAPACITY_FIELDS
            )
            return _("Capacity changed (%(changes)s): %(reason)s") % {
                "changes": changes,
                "reason": log_entry.data.get("reason", ""),
            }


class UpcomingPerformancesPanel(Component):
    name = "upcoming_performances"
    order = 50
    template_name = "booking/admin/upcoming_performances_panel.html"
    limit = 6

    def get_context_data(self, parent_context):
        return {
            "performances": Performance.objects.listed()
            .with_seat_counts()
            .select_related("show", "venue")[: self.limit],
        }


@hooks.register("construct_homepage_panels")
def add_upcoming_performances_panel(request, panels):
    if request.user.has_perm("booking.view_performance"):
        panels.append(UpcomingPerformancesPanel())


class ShowPerformancesPanel(Component):
    """The show page editor's "Performances" panel: each performance of the show with its
    seats and state, a link to edit it and one to add another for this show, so editors need
    not know that performances live under "Box office"."""

    template_name = "booking/admin/show_performances_panel.html"

    class Media:
        css = {"all": ["booking/admin/show_performances.css"]}

    def __init__(self, show, user):
        self.show = show
        self.user = user

    def get_context_data(self, parent_context):
        if self.show.pk is None:
            return {"saved": False}
        policy = ModelPermissionPolicy(Performance)
        may_edit = policy.user_has_permission(self.user, "change")
        performances = (
            performances_with_seat_counts()
            .filter(show_id=self.show.pk)
            .select_related("venue")
            .order_by("starts_at", "pk")
        )
        add_url = None
        if policy.user_has_permission(self.user, "add"):
            add_url = reverse("wagtailsnippets_booking_performance:add")
            add_url = f"{add_url}?{urlencode({'show': self.show.pk})}"
        return {
            "saved": True,
            # Editors without the box office's permissions learn where performances are made.
            "managed_elsewhere": not (may_edit or add_url),
            "rows": [
                {
                    "performance": performance,
                    "starts": local_start(performance),
                    "edit_url": (
                        reverse("wagtailsnippets_booking_performance:edit", args=[performance.pk])
                        if may_edit
                        else None
                    ),
                }
                for performance in performances
            ],
            "add_url": add_url,
        }


@hooks.register(SHOW_PERFORMANCES_HOOK)
def show_performances_panel(page, request):
    """For everyone who edits the show: when and where it plays, and how full, is no one's
    personal data, and editors writing the page need it. Links only for who may use them."""
    return ShowPerformancesPanel(page, request.user)


@hooks.register("before_delete_snippet")
def keep_reservations(request, instances):
    """Reservations are never deleted, not even in bulk or by a superuser: they are cancelled."""
    if any(isinstance(instance, Reservation) for instance in instances):
        messages.error(request, _("Bookings cannot be deleted: cancel them instead."))
        return redirect("wagtailsnippets_booking_reservation:list")
    return None


@hooks.register("before_delete_snippet")
def keep_group_requests(request, instances):
    """Group requests are never deleted, not even in bulk: they are marked handled, and their
    personal data is erased with the bookings'."""
    if any(isinstance(instance, GroupRequest) for instance in instances):
        messages.error(request, _("Group requests cannot be deleted: mark them handled instead."))
        return redirect("wagtailsnippets_booking_grouprequest:list")
    return None
