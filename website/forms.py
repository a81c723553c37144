"""What the public site's search accepts."""

from django import forms

SEARCH_QUERY_MAX_LENGTH = 200


class SearchForm(forms.Form):
    # CharField refuses NUL characters, which PostgreSQL's text search cannot take.
    q = forms.CharField(max_length=SEARCH_QUERY_MAX_LENGTH, required=False)
