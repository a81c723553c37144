"""The box office's view of what offline doors sent: every party admitted twice, or admitted on
a ticket that no longer admitted anybody, with both admissions' times, doors and staff.

A record, not a form: nobody adds, edits or deletes one (OfflineCheckInPermissionPolicy).
"""

import django_filters
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from booking.models import Performance
from checkin.models import OfflineCheckIn, OfflineOutcome
from checkin.services import at_door, staff_name


def admission(at, door, user, performance):
    """One admission as the box office reads it: "21:04 · Anna · Side door", with the date
    when it was not the performance's day (a device whose clock was wrong, say)."""
    if at is None:
        return ""
    at = timezone.localtime(at)
    same_day = at.date() == timezone.localtime(performance.starts_at).date()
    when = date_format(at, "H:i" if same_day else "SHORT_DATETIME_FORMAT")
    return f"{when} · {at_door(staff_name(user), door)}"


def first_admission(offline_check_in):
    return admission(
        offline_check_in.earlier_checked_in_at,
        offline_check_in.earlier_door,
        offline_check_in.earlier_checked_in_by,
        offline_check_in.performance,
    )


def offline_admission(offline_check_in):
    return admission(
        offline_check_in.admitted_at,
        offline_check_in.door,
        offline_check_in.admitted_by,
        offline_check_in.performance,
    )


def performance(offline_check_in):
    starts_at = timezone.localtime(offline_check_in.performance.starts_at)
    return f"{offline_check_in.performance.show.title}, {date_format(starts_at, 'D j M, H:i')}"


class DoorConflictIndexView(IndexView):
    page_title = _("Door conflicts")

    def get_base_queryset(self):
        return OfflineCheckIn.objects.conflicts().select_related(
            "performance__show",
            "reservation",
            "admitted_by",
            "earlier_checked_in_by",
        )


class OfflineCheckInPermissionPolicy(ModelPermissionPolicy):
    """Viewing needs the view permission (the box office has it); nobody changes the record."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class DoorConflictFilterSet(WagtailFilterSet):
    performance = django_filters.ModelChoiceFilter(
        queryset=Performance.objects.select_related("show").order_by("-starts_at"),
        label=_("Performance"),
    )
    outcome = django_filters.ChoiceFilter(
        choices=[
            (value, label)
            for value, label in OfflineOutcome.choices
            if value != OfflineOutcome.RECORDED
        ],
        label=_("Outcome"),
    )

    class Meta:
        model = OfflineCheckIn
        fields = ["performance", "outcome"]


class DoorConflictViewSet(ModelViewSet):
    model = OfflineCheckIn
    icon = "warning"
    menu_label = _("Door conflicts")
    menu_name = "door-conflicts"
    menu_order = 101
    add_to_admin_menu = True
    url_prefix = "door-conflicts"
    name = "door_conflicts"
    inspect_view_enabled = True
    copy_view_enabled = False
    # Its add and edit views refuse everyone (the permission policy); they need a form all
    # the same, and an empty one shows nothing.
    form_fields = []
    filterset_class = DoorConflictFilterSet
    ordering = "-received_at"
    index_view_class = DoorConflictIndexView
    list_display = [
        "__str__",
        Column("first", label=_("First admitted"), accessor=first_admission),
        Column("offline", label=_("Also admitted offline"), accessor=offline_admission),
        Column("performance", label=_("Performance"), accessor=performance),
    ]
    list_export = [
        "performance",
        "reservation",
        "outcome",
        "earlier_checked_in_at",
        "earlier_door",
        "admitted_at",
        "door",
        "received_at",
    ]
    export_filename = "door-conflicts"
    inspect_view_fields = [
        "performance",
        "reservation",
        "outcome",
        "earlier_checked_in_at",
        "earlier_door",
        "earlier_checked_in_by",
        "admitted_at",
        "door",
        "admitted_by",
        "received_at",
    ]

    @property
    def permission_policy(self):
        return OfflineCheckInPermissionPolicy(self.model)
