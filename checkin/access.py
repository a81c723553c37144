"""Who may call the door's JSON endpoints, which Django routes to before Wagtail's admin URLs
(website/urls.py), so that a scan skips the admin's wrapper and its queries.

`door_endpoint` lets through exactly whom the wrapper (`require_admin_access`) and Django's
`permission_required` let through, refuses everyone else with the same answers, and runs the
view as the wrapper did: in the user's admin language and time zone, with the user in the
audit log's context. The wrapper read all the user's permissions (two queries) and their whole
Wagtail profile; the guard reads the two permissions it needs in one query, and the profile's
language and time zone.
"""

import contextlib
import functools

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied, reject_request
from wagtail.log_actions import LogContext
from wagtail.users.models import UserProfile

ADMIN_ACCESS = "wagtailadmin.access_admin"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def held_permissions(user, permissions):
    """Which of `permissions` ("app_label.codename") `user` holds, as `user.has_perm` answers
    with Django's ModelBackend, the site's only authentication backend: an inactive user holds
    none, an active superuser all, anyone else those granted to them or to one of their groups.

    ModelBackend reads all the user's permissions, then all their groups', in two queries; the
    door needs two permissions, read here in one. With any other backend configured, the
    backends are asked, as `user.has_perm` asks them.
    """
    if settings.AUTHENTICATION_BACKENDS != [MODEL_BACKEND]:
        return {permission for permission in permissions if user.has_perm(permission)}
    if not user.is_active:
        return set()
    if user.is_superuser:
        return set(permissions)
    wanted = Q()
    for permission in permissions:
        app_label, codename = permission.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    granted = (
        Permission.objects.filter(wanted)
        .filter(Q(user=user) | Q(group__user=user))
        .values_list("content_type__app_label", "codename")
    )
    return {f"{app_label}.{codename}" for app_label, codename in granted}


def admin_profile(user):
    """The language and time zone of the user's Wagtail profile (an unsaved `UserProfile`,
    whose methods apply Wagtail's defaults), or None when they have no profile."""
    settings_row = (
        UserProfile.objects.filter(user=user)
        .values_list("preferred_language", "current_time_zone")
        .first()
    )
    if settings_row is None:
        return None
    preferred_language, current_time_zone = settings_row
    return UserProfile(preferred_language=preferred_language, current_time_zone=current_time_zone)


@contextlib.contextmanager
def localized(profile):
    """The user's admin language and time zone, as Wagtail's admin sets them around its views
    (`wagtail.admin.localization.get_localized_response`); the site's without a profile."""
    if profile is None:
        with timezone.override(settings.TIME_ZONE):
            yield
        return
    with (
        timezone.override(profile.get_current_time_zone()),
        translation.override(profile.get_preferred_language()),
    ):
        yield


def door_endpoint(*permissions):
    """Guard a door endpoint that needs `permissions` as Wagtail's admin URLs and
    `permission_required(permissions, raise_exception=True)` guarded it.

    Refused: nobody logged in, or an inactive user, or a user without admin access (as by
    Wagtail: 403 for a request marked `X-Requested-With: XMLHttpRequest`, as door.js marks
    every one, else a redirect to the admin login); a user without one of `permissions` (403, else
    Wagtail's redirect to the dashboard with its message). The check comes before any other
    decorator of the view, as the wrapper came before the view's own.
    """

    def decorator(view):
        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            user = request.user
            if user.is_anonymous:
                return reject_request(request)
            held = held_permissions(user, (ADMIN_ACCESS, *permissions))
            if ADMIN_ACCESS not in held:
                if request.headers.get("x-requested-with") != "XMLHttpRequest":
                    messages.error(request, _("You do not have permission to access the admin."))
                return reject_request(request)
            if not held.issuperset(permissions):
                return permission_denied(request)
            with LogContext(user=user), localized(admin_profile(user)):
                return view(request, *args, **kwargs)

        return guarded

    return decorator
