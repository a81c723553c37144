"""Places in the page editor that other apps fill, so that `website` imports none of them
(ADR 0014: website ← booking ← checkin)."""

from django.forms import Media
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.panels import Panel


class HookPanel(Panel):
    """A panel of a page's editor whose content other apps give through a Wagtail hook.

    Each function registered under `hook_name` takes the page being edited (not yet saved in
    the create view) and the request, and returns a `wagtail.admin.ui.components.Component`
    to show, or None to show nothing, for instance to a user who may not see it. The panel
    is left out when nothing is shown.
    """

    def __init__(self, hook_name, **kwargs):
        super().__init__(**kwargs)
        self.hook_name = hook_name

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "hook_name": self.hook_name}

    @property
    def clean_name(self):
        return super().clean_name or self.hook_name

    class BoundPanel(Panel.BoundPanel):
        template_name = "website/admin/hook_panel.html"

        @cached_property
        def components(self):
            found = (
                hook(self.instance, self.request) for hook in hooks.get_hooks(self.panel.hook_name)
            )
            return [component for component in found if component is not None]

        def is_shown(self):
            return bool(self.components)

        @property
        def media(self):
            return sum((component.media for component in self.components), Media())
