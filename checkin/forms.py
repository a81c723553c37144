"""What the door's endpoints accept: a performance, and a scanned code or a reservation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from checkin.services import door_performances


class TicketRequestForm(forms.Form):
    performance = forms.ModelChoiceField(queryset=door_performances())
    code = forms.CharField(required=False, max_length=500, strip=True)
    reservation = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per request, so that "today" is today; the id is all an answer needs.
        self.fields["performance"].queryset = door_performances().select_related(None)

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("code") and not cleaned_data.get("reservation"):
            raise forms.ValidationError(_("Send a scanned code or a reservation."))
        return cleaned_data


class UndoForm(forms.Form):
    reservation = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=200, strip=True)
