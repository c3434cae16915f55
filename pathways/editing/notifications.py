"""An email to a publisher when a change waits for their approval, for those who ask for one:
their choice (`ApprovalNotice`), and the message sent once the change is saved."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.text import Truncator

from ..publishing import Decision

logger = logging.getLogger("pathways.notifications")

APPROVE = "pathways.approve_pendingchange"
# with_perm needs one backend when several are configured (django-axes is the other).
PERMISSION_BACKEND = "pathways.local.scoping.ScopedModelBackend"


class ApprovalNotice(models.Model):
    """One person's choice to be emailed when a change waits for them to approve it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_notice"
    )
    email_when_waiting = models.BooleanField(
        "email me when a change waits for my approval", default=False
    )

    class Meta:
        app_label = "pathways"
        # Each person sets their own (waiting.approval_notice_view): nobody is given rights
        # over other people's.
        default_permissions = ()

    def __str__(self) -> str:
        return f"Approval notices for {self.user}"

    @classmethod
    def wanted_by(cls, user) -> bool:
        """Whether `user` asked for an email when a change waits."""
        return cls.objects.filter(user=user, email_when_waiting=True).exists()

    @classmethod
    def choose(cls, user, wanted: bool) -> None:
        cls.objects.update_or_create(user=user, defaults={"email_when_waiting": wanted})


def decides_changes(user) -> bool:
    """Whether `user` approves anyone's changes: a national publisher, or a publisher of an
    area (who decides that area's). They may ask to hear of changes waiting for them."""
    from ..local.models import AreaMembership  # loaded after this module (pathways.models)

    if user.has_perm(APPROVE):
        return True
    return (
        user.is_active
        and user.is_staff
        and user.area_memberships.filter(role=AreaMembership.Role.PUBLISHER).exists()
    )


def recipients_for(change) -> list[str]:
    """The addresses of active publishers who asked to hear of waiting changes, other than the
    people who proposed this one: national publishers hear of every change; a publisher of an
    area hears of that area's changes only (never national ones, never another area's)."""
    from ..local.models import AreaMembership

    User = get_user_model()
    deciders = Q(pk__in=User.objects.with_perm(APPROVE, backend=PERMISSION_BACKEND))
    if change.area_id is not None:
        deciders |= Q(
            pk__in=User.objects.filter(
                is_active=True,
                is_staff=True,
                area_memberships__area_id=change.area_id,
                area_memberships__role=AreaMembership.Role.PUBLISHER,
            )
        )
    users = (
        User.objects.filter(deciders)
        .filter(approval_notice__email_when_waiting=True)
        .exclude(pk=change.proposed_by_id)
        .exclude(proposed_changes=change)
        .exclude(email="")
    )
    return sorted({user.email for user in users})


def announce(change) -> None:
    """Emails the publishers who asked that `change` waits for them. The message names the
    content only: its words stay behind the sign-in."""
    change.refresh_from_db(fields=["decision"])
    if change.decision != Decision.PENDING:
        return  # a publish that was its own approval waits for nobody
    addresses = recipients_for(change)
    if not addresses:
        return
    link = settings.SITE_URL + reverse("admin:pathways_pendingchange_change", args=[change.pk])
    # One line: an email header cannot carry a line break, and a name may (an entry's).
    name = Truncator(" ".join(change.object_repr.split())).chars(80)
    subject = f"A change waits for your approval: {name}"
    body = (
        f"A change to “{name}” ({change.get_kind_display().lower()}) waits for a publisher "
        f"who did not make it to approve or reject it.\n\n"
        f"Read it and decide: {link}\n\n"
        "You get this email because you asked for it. To stop, untick “Email me when a "
        "change waits for my approval” on the admin home page.\n"
    )
    # One message each, so no publisher sees who else was told.
    for address in addresses:
        try:
            send_mail(subject, body, None, [address])
        except OSError:
            # A mail server that is down must not undo or fail the proposal itself.
            logger.exception("Could not email %s about pending change %s", address, change.pk)


def _on_pending_change_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        transaction.on_commit(lambda: announce(instance))


def connect_signals() -> None:
    from ..publishing import PendingChange

    post_save.connect(
        _on_pending_change_saved, sender=PendingChange, dispatch_uid="announce_pending_change"
    )
