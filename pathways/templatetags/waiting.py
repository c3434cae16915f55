"""`{% waiting_summary %}`: on the admin home, how many changes wait for this person."""

from __future__ import annotations

from django import template
from django.urls import reverse

from pathways.editing.admin.waiting import approval_notice_form, waiting_counts
from pathways.editing.notifications import decides_changes

register = template.Library()


@register.inclusion_tag("admin/pathways/waiting_summary.html", takes_context=True)
def waiting_summary(context) -> dict:
    """A publisher sees the changes others proposed (theirs to decide) and may ask for an
    email; anyone who may see pending changes sees how many of their own wait."""
    user = context["request"].user
    if not user.has_perm("pathways.view_pendingchange"):
        return {"shown": False}
    may_approve = decides_changes(user)
    counts = waiting_counts(user)
    changelist = reverse("admin:pathways_pendingchange_changelist")
    return {
        "shown": True,
        "may_approve": may_approve,
        "for_you": counts["for_you"],
        "for_you_url": f"{changelist}?proposed=others",
        "yours": counts["yours"],
        "yours_url": f"{changelist}?proposed=me",
        "form": approval_notice_form(user) if may_approve else None,
    }
