"""What waits for whom: the counts on the admin home, the pending list's filters (waiting
changes by default, content types by name), and a publisher's choice of an email when a
change waits for them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods

from ...models import content_models
from ...publishing import Decision, PendingChange
from ..notifications import ApprovalNotice, decides_changes

ALL = "all"


def waiting_counts(user) -> dict[str, int]:
    """The admin home's two numbers, in two queries: pending changes others proposed (for a
    publisher to decide) and pending changes `user` proposed (waiting for someone else)."""
    # Over the changes `user` may see (PendingChange.objects.for_user): a local publisher
    # counts their areas' changes only.
    return {
        "for_you": PendingChange.objects.waiting_for(user).count(),
        "yours": PendingChange.objects.for_user(user).pending().filter(proposers=user).count(),
    }


class DecisionFilter(admin.SimpleListFilter):
    """Waiting changes unless the visitor picks another decision, or All."""

    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return Decision.choices

    def chosen(self) -> str:
        return self.value() or Decision.PENDING

    def queryset(self, request, queryset):
        chosen = self.chosen()
        if chosen == ALL:
            return queryset
        return queryset.filter(decision=chosen)

    def choices(self, changelist):
        chosen = self.chosen()
        yield {
            "selected": chosen == ALL,
            "query_string": changelist.get_query_string({self.parameter_name: ALL}),
            "display": "All",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": chosen == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class ProposerFilter(admin.SimpleListFilter):
    """Changes others proposed (what a publisher may decide) or the visitor's own."""

    title = "proposed by"
    parameter_name = "proposed"

    def lookups(self, request, model_admin):
        return [("others", "Others"), ("me", "Me")]

    def queryset(self, request, queryset):
        if self.value() == "others":
            return queryset.exclude(proposers=request.user)
        if self.value() == "me":
            return queryset.filter(proposers=request.user)
        return queryset


class ContentModelFilter(RelatedFieldListFilter):
    """The kinds of content changes were proposed to, by their names ("entry", "glossary
    term"): not every type Django knows of (history records, permissions), nor kinds nobody
    has changed, which would only be more links to pass on the way to the list."""

    def field_choices(self, field, request, model_admin):
        types = ContentType.objects.get_for_models(*content_models())
        seen = PendingChange.objects.for_user(request.user)  # local staff: their areas'
        changed = set(seen.values_list("content_type", flat=True).distinct())
        return sorted(
            (
                (types[model].pk, capfirst(model._meta.verbose_name))
                for model in types
                if types[model].pk in changed
            ),
            key=lambda choice: choice[1],
        )


class ApprovalNoticeForm(forms.Form):
    email_when_waiting = forms.BooleanField(
        label="Email me when a change waits for my approval", required=False
    )


def approval_notice_form(user) -> ApprovalNoticeForm:
    return ApprovalNoticeForm(initial={"email_when_waiting": ApprovalNotice.wanted_by(user)})


@require_http_methods(["GET", "HEAD", "POST"])
def approval_notice_view(request, admin_site):
    """A publisher's own choice of an email when a change waits for them (self-service)."""
    if not decides_changes(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = ApprovalNoticeForm(request.POST)
        form.is_valid()  # a lone checkbox: anything but "on" reads as unticked
        wanted = form.cleaned_data.get("email_when_waiting", False)
        ApprovalNotice.choose(request.user, wanted)
        if wanted and not request.user.email:
            messages.warning(
                request,
                "Saved, but your account has no email address: ask an administrator to add one.",
            )
        else:
            messages.success(
                request,
                f"You will be emailed at {request.user.email} when a change waits for you."
                if wanted
                else "You will not be emailed about waiting changes.",
            )
        return HttpResponseRedirect(reverse("admin:pathways_pendingchange_notifications"))
    context = {
        **admin_site.each_context(request),
        "title": "My notifications",
        "opts": PendingChange._meta,
        "form": approval_notice_form(request.user),
    }
    return TemplateResponse(request, "admin/pathways/approval_notice.html", context)
