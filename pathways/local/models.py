"""An area's additions to the national pathway: its directory of local services (what each
offers, which of the pathway's services, tags and entries it serves, how to refer) and its
notes on entries. All of it is content under the two-person rule (`publishing`); an area's
changes are decided by a publisher of that area or a national one (`publishing.may_decide`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from ..characters import line_problem
from ..history import ContentHistory
from ..publishing import Publishable, PublishableQuerySet, Status, review_is_overdue

# The words every surface uses for an example: tests and screenshots only, never shipped.
EXAMPLE = "Example, not a real service"

WEB = URLValidator(schemes=["http", "https"])
PHONE = RegexValidator(
    r"^[0-9 +()\-]{6,40}$",
    "Enter a phone number as it is dialled, with digits, spaces, + ( ) and - only "
    "(for example 0161 123 4567).",
)


def plain_text(value: str) -> None:
    """Local words are shown as plain text: no markup, no control characters, one rule for
    every line (the page text reader's)."""
    for line in (value or "").splitlines():
        problem = line_problem(line)
        if problem:
            raise ValidationError(f"A line {problem}.")


class AreaManager(models.Manager.from_queryset(PublishableQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Area(Publishable):
    """A health board, local authority or other area that adds its own services and notes to
    the national pathway. A draft area is offered nowhere."""

    class Kind(models.TextChoices):
        HEALTH_BOARD = "health-board", "Health board"
        LOCAL_AUTHORITY = "local-authority", "Local authority"
        OTHER = "other", "Other"

    name = models.CharField(max_length=100, unique=True, validators=[plain_text])
    slug = models.SlugField(
        max_length=30,
        unique=True,
        help_text="Its part of the address (?area=…): lower case letters, numbers and hyphens.",
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.HEALTH_BOARD)
    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text="Practitioners are offered published areas only.",
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in lists.")

    objects = AreaManager()
    history = ContentHistory()

    class Meta:
        ordering = ["position", "name"]
        permissions = [("publish_area", "Can publish and unpublish areas")]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class LocalServiceQuerySet(PublishableQuerySet):
    # A service reaches readers only while its area is published too.
    published_condition = {"status": Status.PUBLISHED, "area__status": Status.PUBLISHED}

    def overdue(self) -> LocalServiceQuerySet:
        from ..publishing import overdue_condition

        return self.filter(overdue_condition("next_verification_due"))


class LocalServiceManager(models.Manager.from_queryset(LocalServiceQuerySet)):
    def get_by_natural_key(self, area_slug, slug):
        return self.get(area__slug=area_slug, slug=slug)


class LocalService(Publishable):
    """One service in an area's directory: what it offers, what of the pathway it serves, and
    how a practitioner refers to it."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200, validators=[plain_text])
    slug = models.SlugField(max_length=30, help_text="Unique within its area.")
    offers = models.TextField(
        "what it offers", validators=[plain_text], help_text="Paragraphs by a blank line."
    )
    serves_services = models.ManyToManyField(
        "pathways.Service",
        blank=True,
        related_name="local_services",
        verbose_name="serves these services' entries",
    )
    serves_tags = models.ManyToManyField(
        "pathways.Tag",
        blank=True,
        related_name="local_services",
        verbose_name="serves entries with these tags",
    )
    serves_entries = models.ManyToManyField(
        "pathways.Entry",
        blank=True,
        related_name="local_services",
        verbose_name="serves these entries",
    )
    referral_route = models.TextField(
        "how to refer", blank=True, validators=[plain_text], help_text="The route, in words."
    )
    referral_form_url = models.URLField("referral form", blank=True, validators=[WEB])
    referral_phone = models.CharField("phone", max_length=40, blank=True, validators=[PHONE])
    referral_email = models.EmailField("email", blank=True)
    who_may_refer = models.TextField(blank=True, validators=[plain_text])
    eligibility = models.TextField(blank=True, validators=[plain_text])
    hours = models.CharField(max_length=300, blank=True, validators=[plain_text])
    address = models.TextField(blank=True, validators=[plain_text])
    web_url = models.URLField("web link", blank=True, validators=[WEB])
    last_verified = models.DateField(null=True, blank=True)
    next_verification_due = models.DateField(
        null=True, blank=True, help_text="Flagged as overdue for checking once this has passed."
    )
    is_example = models.BooleanField(
        default=False,
        help_text=f"For tests and screenshots: every page says “{EXAMPLE}”.",
    )
    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text="Practitioners see published services of published areas only.",
    )

    objects = LocalServiceManager()
    # What it serves is part of each version: a revert restores its links too.
    history = ContentHistory(parts=["serves_services", "serves_tags", "serves_entries"])

    class Meta:
        ordering = ["area", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "slug"], name="unique_local_service_slug")
        ]
        permissions = [("publish_localservice", "Can publish and unpublish local services")]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple:
        return (*self.area.natural_key(), self.slug)

    natural_key.dependencies = ["pathways.area"]

    def clean(self) -> None:
        super().clean()
        if self.pk and self.area_id:
            stored = type(self).objects.filter(pk=self.pk).values_list("area", flat=True).first()
            if stored is not None and stored != self.area_id:
                raise ValidationError(
                    {"area": "A service stays in its area: make a new one in the other area."}
                )
        if not any(
            [self.referral_route, self.referral_form_url, self.referral_phone, self.referral_email]
        ):
            raise ValidationError(
                "Say how to refer: a route in words, a form link, a phone number or an email."
            )
        if (
            self.last_verified
            and self.next_verification_due
            and self.next_verification_due <= self.last_verified
        ):
            raise ValidationError(
                {"next_verification_due": "The next check must be due after the last one."}
            )

    @property
    def is_verification_overdue(self) -> bool:
        return review_is_overdue(self.next_verification_due)

    @property
    def verification_status(self) -> str:
        return verification_status(self.last_verified, self.next_verification_due)


def verification_status(last_verified, next_due) -> str:
    """When a service's details were last checked, in one sentence every surface uses."""
    said = (
        f"Last verified {date_format(last_verified, 'j F Y')}"
        if last_verified
        else "Not yet verified"
    )
    if next_due:
        due = date_format(next_due, "j F Y")
        if review_is_overdue(next_due):
            return f"{said}. Overdue for checking: it was due on {due}."
        said += f"; next check due {due}"
    return f"{said}."


class LocalNoteQuerySet(PublishableQuerySet):
    published_condition = {
        "status": Status.PUBLISHED,
        "area__status": Status.PUBLISHED,
        "entry__status": Status.PUBLISHED,
        "entry__pathway__status": Status.PUBLISHED,
    }


class LocalNoteManager(models.Manager.from_queryset(LocalNoteQuerySet)):
    def get_by_natural_key(self, area_slug, pathway_slug, entry_number):
        return self.get(
            area__slug=area_slug, entry__pathway__slug=pathway_slug, entry__number=entry_number
        )


class LocalNote(Publishable):
    """An area's words on one entry, shown below the national text as "Local to <area>"."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="notes")
    entry = models.ForeignKey(
        "pathways.Entry", on_delete=models.CASCADE, related_name="local_notes"
    )
    text = models.TextField(validators=[plain_text], help_text="Paragraphs by a blank line.")
    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text="Practitioners see published notes of published areas only.",
    )

    objects = LocalNoteManager()
    history = ContentHistory()

    class Meta:
        ordering = ["area", "entry"]
        constraints = [
            models.UniqueConstraint(fields=["area", "entry"], name="one_local_note_per_entry")
        ]
        permissions = [("publish_localnote", "Can publish and unpublish local notes")]

    def __str__(self) -> str:
        return f"{self.area}: note on {self.entry}"

    def natural_key(self) -> tuple:
        return (*self.area.natural_key(), *self.entry.natural_key())

    natural_key.dependencies = ["pathways.area", "pathways.entry"]

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


class AreaMembership(models.Model):
    """Scopes a member of staff to an area: a local editor writes its services and notes, a
    local publisher also decides its changes. Someone with a membership is local staff only:
    they never touch national content (pathways.local.scoping)."""

    class Role(models.TextChoices):
        EDITOR = "editor", "Local editor"
        PUBLISHER = "publisher", "Local publisher"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="area_memberships"
    )
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role, default=Role.EDITOR)
    # Who was given which area, and when: an audit, not content.
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "area"], name="one_membership_per_area")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.area}"
