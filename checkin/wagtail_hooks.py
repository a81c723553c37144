"""Puts the door in the Wagtail admin (its menu item, its audit log labels, the box office's
list of door conflicts) and behind the ticket's QR code for staff. Its URLs are mounted before
the admin's (checkin/urls.py)."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from checkin import services
from checkin.models import OfflineCheckIn
from checkin.views import CHECK_IN_PERMISSION, render_door
from checkin.viewsets import DoorConflictViewSet

CONFLICTS_ON_THE_DASHBOARD_FOR = datetime.timedelta(days=7)


class CheckInMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(CHECK_IN_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_checkin_menu_item():
    return CheckInMenuItem(
        _("Check-in"), reverse("checkin:door"), icon_name="tick", order=100, name="checkin"
    )


@hooks.register("register_admin_viewset")
def register_door_conflicts():
    return DoorConflictViewSet()


class DoorConflictsPanel(Component):
    """The dashboard's nudge to the box office: conflicts of the last week, with a link."""

    name = "door_conflicts"
    order = 40
    template_name = "checkin/admin/door_conflicts_panel.html"

    def __init__(self, count):
        self.count = count

    def get_context_data(self, parent_context):
        return {"count": self.count, "url": reverse("door_conflicts:index")}


@hooks.register("construct_homepage_panels")
def add_door_conflicts_panel(request, panels):
    if not request.user.has_perm("checkin.view_offlinecheckin"):
        return
    recent = timezone.now() - CONFLICTS_ON_THE_DASHBOARD_FOR
    count = OfflineCheckIn.objects.conflicts().filter(received_at__gte=recent).count()
    if count:
        panels.append(DoorConflictsPanel(count))


@hooks.register("register_log_actions")
def register_checkin_log_actions(actions):
    actions.register_action(services.CHECK_IN_ACTION, _("Check in"), _("Checked in at the door"))
    actions.register_action(services.UNDO_CHECK_IN_ACTION, _("Undo check-in"), _("Check-in undone"))


@hooks.register("serve_ticket_code")
def open_the_door_for_staff(request, token, reservation):
    """A ticket's QR code opened by door staff: the door, that code already previewed."""
    user = request.user
    if not (user.has_perm("wagtailadmin.access_admin") and user.has_perm(CHECK_IN_PERMISSION)):
        return None
    performance_id = reservation.performance_id if reservation else None
    return render_door(request, performance_id, initial_code=token)
