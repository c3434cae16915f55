"""Reads an admin page's forms as a browser would submit them: every input, textarea and
selected option with its current value, so a test posts exactly what a person pressing Save
would post, inline formsets' management forms included."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    """One <form>: its attributes, its fields in order (name, value), and its buttons'
    formactions (for Move up / Move down)."""

    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    formactions: list[str] = field(default_factory=list)

    def data(self) -> dict[str, str | list[str]]:
        """The fields as the test client posts them: a name given twice is a list."""
        data: dict[str, str | list[str]] = {}
        for name, value in self.fields:
            if name in data:
                previous = data[name]
                data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                data[name] = value
        return data


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.textarea: str | None = None
        self.text: list[str] = []
        self.select: str | None = None
        self.multiple = False
        self.options: list[tuple[str, bool]] = []
        self.option: tuple[str | None, bool] | None = None
        self.option_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = Form(attrs)
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        if tag == "button" and "formaction" in attrs:
            self.form.formactions.append(attrs["formaction"])
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            name = attrs.get("name")
            if not name or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.form.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and attrs.get("name"):
            self.textarea, self.text = attrs["name"], []
        elif tag == "select" and attrs.get("name"):
            self.select, self.options = attrs["name"], []
            self.multiple = "multiple" in attrs
        elif tag == "option" and self.select is not None:
            self._end_option()
            self.option = (attrs.get("value"), "selected" in attrs)
            self.option_text = []

    def _end_option(self):
        if self.option is not None:
            value, selected = self.option
            self.options.append(
                (value if value is not None else "".join(self.option_text), selected)
            )
            self.option = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.text.append(data)
        if self.option is not None:
            self.option_text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            # A browser drops the one newline that may follow <textarea>.
            self.form.fields.append((self.textarea, "".join(self.text).removeprefix("\n")))
            self.textarea = None
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self.select is not None and self.form is not None:
            self._end_option()
            chosen = [value for value, selected in self.options if selected]
            if not chosen and self.options and not self.multiple:
                chosen = [self.options[0][0]]  # a single select shows its first option
            for value in chosen:
                self.form.fields.append((self.select, value))
            self.select = None


def forms_in(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


def the_form(html: str, *, id_pattern: str = r".*_form$|^changelist-form$") -> Form:
    """The page's main form (the admin's change form, changelist or confirmation form): the
    one with a CSRF token whose id matches, else the last form that has a token."""
    with_token = [f for f in forms_in(html) if any(n == "csrfmiddlewaretoken" for n, _ in f.fields)]
    for form in with_token:
        if re.match(id_pattern, form.attrs.get("id", "")):
            return form
    if not with_token:
        raise AssertionError("No form with a CSRF token on the page:\n" + html[:3000])
    return with_token[-1]


def csrf_token(html: str) -> str:
    """The CSRF token of any form on the page."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise AssertionError("No CSRF token on the page:\n" + html[:3000])
    return match[1]
