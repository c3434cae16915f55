"""Publishing in the admin: editors write drafts; publishers publish (which approves a draft
they wrote no part of) and ask to unpublish; both go through the gate (publishing.submit)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from ...errors import error_text
from ...publishing import Decision, Status, pending_change_of, publish, unpublish
from .versions import ContentAdmin


class PublishableAdmin(ContentAdmin):
    """Pathways and entries: editors write drafts, publishers publish and unpublish."""

    actions = ["publish", "unpublish"]

    def may_publish(self, request) -> bool:
        return request.user.has_perm(f"pathways.publish_{self.model._meta.model_name}")

    def has_publish_permission(self, request) -> bool:
        return self.may_publish(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if self.may_publish(request) else [*readonly, "status"]

    def has_delete_permission(self, request, obj=None):
        # Deleting published content takes it away from practitioners: that is unpublishing.
        if obj is not None and obj.status == Status.PUBLISHED and not self.may_publish(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        if not self.may_publish(request):
            # Bulk deletion cannot tell drafts from published content: publishers only.
            actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not self.may_publish(request):
            stored = type(obj).objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if obj.status != (stored or Status.DRAFT):
                raise PermissionDenied("Only publishers can publish or unpublish.")
        super().save_model(request, obj, form, change)

    def _set_status(self, request, queryset, status, gate):
        went_live, waiting = 0, 0
        for obj in queryset:
            if obj.status == status and pending_change_of(obj) is None:
                continue
            try:
                change = gate(obj, request.user)
            except (ValidationError, PermissionDenied) as error:
                words = error_text(error) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"“{obj}”: {words}", messages.ERROR)
                continue
            if change.decision == Decision.APPROVED:
                went_live += 1
            else:
                waiting += 1
        if went_live:
            self.message_user(request, f"{went_live} published: practitioners see them now.")
        if waiting:
            self.message_user(
                request,
                f"{waiting} waiting for another publisher's approval (a publisher approves "
                "only what they wrote no part of; unpublishing, too, takes a second person).",
                messages.WARNING,
            )

    @admin.action(description="Publish: practitioners will see them", permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED, publish)

    @admin.action(
        description="Unpublish: back to draft, hidden from practitioners", permissions=["publish"]
    )
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Status.DRAFT, unpublish)
