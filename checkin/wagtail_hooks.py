"""Puts the door in the Wagtail admin (its menu item, its audit log labels, the box office's
list of door conflicts) and behind the ticket's QR code for staff. Its URLs are mounted before
the admin's (checkin/urls.py)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from checkin import services
from checkin.views import CHECK_IN_PERMISSION, render_door
from checkin.viewsets import DoorConflictViewSet


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
