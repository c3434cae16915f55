"""The editors' forms: every change asks why it is made, text keeps Unix line breaks, and a
changelist row is checked against every constraint before it is saved."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import Truncator, capfirst

CHANGE_REASON_HELP = (
    "Optional, but it helps whoever reads the history later: why this change was made, "
    "e.g. “Corrected following the 2026 clinical review”."
)


class UnixNewlinesField(forms.CharField):
    """Browsers send a textarea's line breaks as CRLF; content keeps LF, as the fixtures do,
    so saving a paragraph nobody touched does not record it as changed."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


TEXT_FIELDS = {models.TextField: {"form_class": UnixNewlinesField}}


class ContentForm(forms.ModelForm):
    """An admin form that also asks why the change is made; the reason goes in the history."""

    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=500,
        help_text=CHANGE_REASON_HELP,
        widget=forms.TextInput(attrs={"size": 80}),
    )


class LabelledRowsForm(forms.ModelForm):
    """A changelist row form whose boxes are named after their row ("Status of “The phone
    number…”"): the column heading is not a label, and a list of 20 boxes all called
    "Position" does not say which is which."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        row = Truncator(str(self.instance)).chars(60)
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", f"{capfirst(field.label)} of “{row}”")


class WholeConstraintsForm(LabelledRowsForm):
    """A changelist row form that checks every constraint of the row, including those over
    fields the list does not show, so that a row a constraint refuses is a message, not a
    database error."""

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                self.instance.validate_constraints()
            except ValidationError as error:
                self._update_errors(error)
