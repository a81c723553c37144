"""What the door's endpoints accept: a performance with a scanned code, a reservation or a
search, and an undo with its reason.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from checkin.services import door_performances


class PerformanceRequestForm(forms.Form):
    """A request about one of the performances the door can pick."""

    performance = forms.ModelChoiceField(queryset=door_performances())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per request, so that "today" is today; the id is all an answer needs.
        self.fields["performance"].queryset = door_performances().select_related(None)


class TicketRequestForm(PerformanceRequestForm):
    code = forms.CharField(required=False, max_length=500, strip=True)
    reservation = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("code") and not cleaned_data.get("reservation"):
            raise forms.ValidationError(_("Send a scanned code or a reservation."))
        return cleaned_data


class UndoForm(forms.Form):
    reservation = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=200, strip=True)


class SearchForm(PerformanceRequestForm):
    # CharField refuses NUL characters, which PostgreSQL's text columns cannot compare with.
    q = forms.CharField(required=False, max_length=200)
