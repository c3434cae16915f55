"""The care pathway content, named as the seed page names it: pathways, their stages and
age bands, the services that act, and the entries ("rationales") with their interventions."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Concat, Trim
from django.urls import reverse
from django.utils.formats import date_format

from .ages import parse_band_label
from .history import ContentHistory
from .publishing import (
    PendingChange,
    Publishable,
    PublishableQuerySet,
    Status,
    can_preview,
    review_is_overdue,
)
from .search import SearchableQuerySet

__all__ = [
    "AgeBand",
    "AgeRange",
    "ApprovalNotice",
    "Area",
    "AreaMembership",
    "ContentVersion",
    "ContextDocument",
    "DocumentSection",
    "Entry",
    "GlossaryTerm",
    "Intervention",
    "IssuerKeySet",
    "LocalNote",
    "LocalService",
    "Pathway",
    "PendingChange",
    "ProblemReport",
    "ReadingNote",
    "Service",
    "Stage",
    "Status",
    "Tag",
    "UsedJwt",
    "can_preview",
    "content_models",
]


class SlugNaturalKeyManager(models.Manager):
    """Fixtures refer to labelled things by slug, so they load the same on any database."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class OptionQuerySet(models.QuerySet):
    """Stages, age bands, services and tags: shared by entries, and offered to readers only
    as far as the entries they are shown use them."""

    def used_by(self, entries) -> OptionQuerySet:
        """The options the given entries use (the filters' choices: one query each)."""
        on_entry = self.model.entries.field  # Entry.stage, Entry.service, ...
        return self.filter(pk__in=entries.order_by().values(on_entry.attname))

    def in_published_entries(self) -> OptionQuerySet:
        """The options published entries of published pathways use: what the FHIR CodeSystem
        lists, so no option that only drafts use is named to readers."""
        return self.used_by(Entry.objects.published())


class OptionManager(SlugNaturalKeyManager.from_queryset(OptionQuerySet)):
    pass


def unreadable_label(label: str) -> str:
    return (
        f"“{label}” cannot be read as an age range. Write it as the pathway does, from a "
        "start to an end: “Birth - 6 weeks”, “3 - 8 weeks”, “6-12 months” or “1 - 3 years” "
        "(weeks, months or years)."
    )


class AgeRange(models.Model):
    """A labelled span of a child's life in days, half-open: start <= age < end."""

    label = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    start_days = models.PositiveIntegerField(help_text="First day of the range (birth is 0).")
    end_days = models.PositiveIntegerField(
        help_text="First day after the range: a child of exactly this age is outside it."
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in lists, smallest first.")

    objects = OptionManager()

    class Meta:
        abstract = True
        ordering = ["position", "start_days", "end_days"]

    def __str__(self) -> str:
        return self.label

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        # The label is the range: its days are worked out from it (PRODUCT.md's units and
        # rounding), so "6-12 months" can only ever filter on days 183 to 364.
        if self.label:
            try:
                self.start_days, self.end_days = parse_band_label(self.label)
            except ValueError:
                raise ValidationError({"label": unreadable_label(self.label)}) from None
            if self.start_days >= self.end_days:
                raise ValidationError({"label": "The end must be after the start."})
        both_set = self.start_days is not None and self.end_days is not None
        if both_set and self.start_days >= self.end_days:
            raise ValidationError({"end_days": "The end must be after the start."})

    @property
    def covers(self) -> str:
        """The whole days the range covers, as editors check it: "covers days 42 to 364"."""
        if self.start_days is None or self.end_days is None:
            return ""
        return f"covers days {self.start_days} to {self.end_days - 1}"

    def overlaps(self, other: AgeRange) -> bool:
        return self.start_days < other.end_days and other.start_days < self.end_days


class Stage(AgeRange):
    """A section heading of the pathway page ("8 weeks - 6 months"); its range is its label's."""

    history = ContentHistory()

    class Meta(AgeRange.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(start_days__lt=models.F("end_days")),
                name="stage_start_before_end",
            )
        ]


class AgeBand(AgeRange):
    """The age an entry applies to ("6 weeks - 1 year"), which may reach beyond its stage."""

    history = ContentHistory()

    class Meta(AgeRange.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(start_days__lt=models.F("end_days")),
                name="ageband_start_before_end",
            )
        ]


class NamedOption(models.Model):
    """A named choice that entries share and the browser filters by, found by its slug."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)

    objects = OptionManager()

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Service(NamedOption):
    """Who acts on an entry: "Health Visiting", "Childrens Centres & EYFS", "Primary Care & GP"."""

    history = ContentHistory()

    class Meta(NamedOption.Meta):
        pass


class Tag(NamedOption):
    """A badge on an entry: "Core Purpose 2" or "Targeted Support"."""

    history = ContentHistory()

    class Meta(NamedOption.Meta):
        pass


class ContextDocument(models.Model):
    """A policy document a pathway is read against, such as the delivery plan of seed 004,
    in numbered sections (its "areas of focus")."""

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=100, unique=True)
    introduction = models.TextField(blank=True)
    annex_title = models.CharField(max_length=300, blank=True)
    aims_heading = models.CharField(max_length=300, blank=True)
    aims = models.TextField(blank=True)
    section_label = models.CharField(
        max_length=100, blank=True, help_text='Printed before each section, e.g. "Area of focus".'
    )
    body_label = models.CharField(
        max_length=100,
        blank=True,
        help_text='Printed before each section\'s text, e.g. "What we did".',
    )

    objects = SlugNaturalKeyManager()
    # The sections are edited with the document, so each version records them too.
    history = ContentHistory(parts=["sections"])

    class Meta:
        verbose_name = "policy document (delivery plan)"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pathways:document", args=[self.slug])

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class DocumentSectionManager(models.Manager):
    def get_by_natural_key(self, document_slug, number):
        return self.get(document__slug=document_slug, number=number)


class DocumentSection(models.Model):
    """One numbered section of a context document: an area of focus and what was done."""

    document = models.ForeignKey(ContextDocument, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveIntegerField()
    title = models.TextField()
    body = models.TextField(blank=True, help_text="Separate paragraphs with a blank line.")

    objects = DocumentSectionManager()
    history = ContentHistory()

    class Meta:
        verbose_name = "area of focus"
        verbose_name_plural = "areas of focus"
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_section_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def natural_key(self) -> tuple:
        return (*self.document.natural_key(), self.number)

    natural_key.dependencies = ["pathways.contextdocument"]

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


# What every surface says of a pathway nobody has reviewed: silence would read as "fine".
NO_REVIEW = "No clinical review recorded"


class PathwayQuerySet(PublishableQuerySet):
    def with_has_entries(self, user=None) -> PathwayQuerySet:
        """Annotates has_entries: a pathway without entries `user` may see has no page, so it
        is never linked."""
        entries = Entry.objects.visible_to(user).filter(pathway=OuterRef("pk"))
        return self.annotate(has_entries=Exists(entries))

    def public(self) -> PathwayQuerySet:
        """Pathways the API, the CSV and FHIR exports and problem reports serve: published
        ones with a page (published entries)."""
        return self.published().with_has_entries().filter(has_entries=True)

    def for_home(self, user=None) -> PathwayQuerySet:
        """The home page's list of pathways."""
        return self.visible_to(user).with_has_entries(user)

    def for_browser(self, user=None) -> PathwayQuerySet:
        """The pathway browser's pathway, with its notes and policy context."""
        return (
            self.visible_to(user).select_related("policy_context").prefetch_related("reading_notes")
        )

    def related_both_ways(self, pathway: Pathway, user=None) -> PathwayQuerySet:
        """The pathway page's related pathways: those `pathway` lists and those listing it,
        once each, as far as `user` may see them, in the home page's order."""
        either = Q(related_pathways=pathway.pk) | Q(pathway=pathway.pk)
        found = self.visible_to(user).with_has_entries(user).filter(either)
        return found.exclude(pk=pathway.pk).distinct().order_by("position", "title")


class PathwayManager(SlugNaturalKeyManager.from_queryset(PathwayQuerySet)):
    pass


class Pathway(Publishable):
    """A care pathway, such as "Infant Mental Health"."""

    title = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.TextField(blank=True, help_text="A line for the home page list.")
    status = models.CharField(
        max_length=20,
        choices=Status,
        default=Status.DRAFT,
        help_text="Practitioners see a pathway only once it is published.",
    )
    related_pathways = models.ManyToManyField("self", symmetrical=False, blank=True)
    policy_context = models.ForeignKey(
        ContextDocument,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pathways",
        help_text="The policy document this pathway is read against.",
    )
    position = models.PositiveIntegerField(default=0)
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When a clinician last confirmed the content."
    )
    next_review_due = models.DateField(
        null=True, blank=True, help_text="Practitioners are warned once this date has passed."
    )
    reviewed_by = models.CharField(
        max_length=200, blank=True, help_text="The clinical approver of the last review."
    )

    objects = PathwayManager()
    # Reading notes are edited with the pathway, so each version records them and the
    # related pathways too: a revert puts all of them back.
    history = ContentHistory(parts=["reading_notes", "related_pathways"])

    class Meta:
        ordering = ["position", "title"]
        permissions = [("publish_pathway", "Can publish and unpublish pathways")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.page_url("browser")

    def page_url(self, name: str) -> str:
        """The address of one of the pathway's pages ("browser", "checklist", "export_csv"),
        kept on the object: a pathway reused for a content version is asked on every page."""
        urls = self.__dict__.setdefault("_page_urls", {})
        key = (name, self.slug)
        if key not in urls:
            urls[key] = reverse(f"pathways:{name}", args=[self.slug])
        return urls[key]

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        if (
            self.last_reviewed
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            raise ValidationError(
                {"next_review_due": "The next review must be due after the last review."}
            )

    @property
    def is_review_overdue(self) -> bool:
        return review_is_overdue(self.next_review_due)

    @property
    def review_status(self) -> str:
        """The clinical review in one sentence, said the same way on the page, the checklist
        and in every data format."""
        if self.last_reviewed:
            said = f"Last reviewed {date_format(self.last_reviewed, 'j F Y')}"
            if self.reviewed_by:
                said += f" by {self.reviewed_by}"
        else:
            said = NO_REVIEW
        if self.next_review_due:
            due = date_format(self.next_review_due, "j F Y")
            if self.is_review_overdue:
                return f"{said}. Overdue for review: it was due on {due}."
            said += f"; next review due {due}"
        return f"{said}."

    def review_data(self) -> dict:
        """The review for the API and CSV: dates in ISO 8601, and whether it is overdue."""
        return {
            "last_reviewed": self.last_reviewed.isoformat() if self.last_reviewed else None,
            "next_review_due": self.next_review_due.isoformat() if self.next_review_due else None,
            "reviewed_by": self.reviewed_by or None,
            "review_overdue": self.is_review_overdue,
            "review_status": self.review_status,
        }


class ReadingNoteManager(models.Manager):
    def get_by_natural_key(self, pathway_slug, position):
        return self.get(pathway__slug=pathway_slug, position=position)


class ReadingNote(models.Model):
    """How to read the pathway ("should not be read as stand-alone ..."); bullets are listed."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="reading_notes")
    position = models.PositiveIntegerField()
    text = models.TextField()
    is_bullet = models.BooleanField(default=False, help_text="Shown as a bullet point.")

    objects = ReadingNoteManager()
    history = ContentHistory()

    class Meta:
        ordering = ["pathway", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "position"], name="unique_reading_note_position"
            )
        ]

    def __str__(self) -> str:
        return self.text

    def natural_key(self) -> tuple:
        return (*self.pathway.natural_key(), self.position)

    natural_key.dependencies = ["pathways.pathway"]


def _overlaps(age_range) -> Q:
    """The stage rule: an entry's band overlaps a range when each starts before the other ends."""
    return Q(
        age_band__start_days__lt=age_range.end_days, age_band__end_days__gt=age_range.start_days
    )


# The "as above" rule, in SQL and in Python side by side (and in the search vector's trigger,
# migration 0013): an entry shows, and is found by, the interventions of the entry it repeats
# only while that entry is published in the same pathway. A reader sees entries of published
# pathways only, so never a draft's words through the reference.


def repeats_shown_condition() -> Q:
    """Entries whose repeated entry's interventions are shown with them, as a filter."""
    return Q(repeats__status=Status.PUBLISHED, repeats__pathway=F("pathway"))


def shows_repeated(entry: Entry, repeated: Entry) -> bool:
    """Whether `entry` shows the interventions of `repeated`, the entry it repeats."""
    return repeated.status == Status.PUBLISHED and repeated.pathway_id == entry.pathway_id


class EntryQuerySet(SearchableQuerySet, PublishableQuerySet):
    # An entry is published only inside a published pathway.
    published_condition = {"status": Status.PUBLISHED, "pathway__status": Status.PUBLISHED}

    def in_page_order(self) -> EntryQuerySet:
        """Seed order: by stage heading, then by the entry's place in the pathway."""
        return self.order_by("stage__position", "stage__start_days", "position")

    def for_browser(self, pathway: Pathway) -> EntryQuerySet:
        """The pathway browser's entries, with everything a result card shows, in page order."""
        # Interventions sorted by their own position only: Intervention's default ordering
        # starts with its entry, which makes PostgreSQL join and sort every entry of every
        # pathway (10,000 in the benchmark) to order the few on this page.
        interventions = Prefetch(
            "interventions", queryset=Intervention.objects.order_by("position")
        )
        return (
            self.filter(pathway=pathway)
            .select_related("stage", "age_band", "tag", "service", "repeats__age_band")
            .prefetch_related(interventions, repeated_interventions())
            .in_page_order()
        )

    def with_repeats_shown(self) -> EntryQuerySet:
        """Annotates `repeats_shown_id`: the entry whose interventions each entry shows "as
        above" (None when it repeats none, or one that is not published), for search."""
        shown = Case(When(repeats_shown_condition(), then=F("repeats_id")), default=None)
        return self.annotate(repeats_shown_id=shown)

    def overlapping(self, ranges) -> EntryQuerySet:
        """Entries whose age band overlaps any of the given ranges (a stage's, say)."""
        condition = Q()
        for age_range in ranges:
            condition |= _overlaps(age_range)
        return self.filter(condition) if ranges else self

    def with_stages_overlapped(self, stages) -> EntryQuerySet:
        """Annotates `stages_overlapped`: the slugs of the given stages each entry's band
        overlaps, space-separated, so the offline page filters by stage with the same rule."""
        slugs = [
            Case(When(_overlaps(stage), then=Value(f"{stage.slug} ")), default=Value(""))
            for stage in stages
        ]
        together = Concat(*slugs, Value("")) if slugs else Value("")
        return self.annotate(stages_overlapped=Trim(together, output_field=models.CharField()))

    def for_age(self, days: int) -> EntryQuerySet:
        """Entries whose age band contains a child aged `days` days."""
        return self.for_ages([days])

    def for_ages(self, ages: list[int]) -> EntryQuerySet:
        """Entries whose age band contains any of the ages in days (a baby born early is read
        at both the actual and the corrected age): each entry once, in its own order."""
        condition = Q()
        for days in ages:
            condition |= Q(age_band__start_days__lte=days, age_band__end_days__gt=days)
        return self.filter(condition) if ages else self


class EntryManager(models.Manager.from_queryset(EntryQuerySet)):
    def get_by_natural_key(self, pathway_slug, number):
        return self.get(pathway__slug=pathway_slug, number=number)


def next_entry_number(pathway_id: int) -> int:
    """A new entry's number: above every number and every position the pathway's entries
    have ever had (history included), so no link by number or by position (links before
    numbers) ever named another entry by it."""
    used = [0]
    for queryset in (Entry.objects, Entry.history):
        found = queryset.filter(pathway_id=pathway_id).aggregate(
            number=models.Max("number"), position=models.Max("position")
        )
        used += [value for value in found.values() if value is not None]
    return max(used) + 1


class Entry(Publishable):
    """One rationale of a pathway: what should happen, for which age band, by which service."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(help_text="Place in the pathway page, smallest first.")
    # The entry's name in links, reports, the CSV, the API and FHIR: given once, never
    # changed by a move, and carried by the fixtures, backups and exports.
    number = models.PositiveIntegerField(
        blank=True,
        help_text="The entry's reference number in its pathway: given when it is created and "
        "kept when it moves, so links to it keep pointing at it.",
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="entries")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="entries")
    tag = models.ForeignKey(
        Tag, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    rationale = models.TextField()
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="entries")
    criteria = models.TextField(
        blank=True, help_text='When the entry applies, e.g. "In cases where there are ..."'
    )
    status = models.CharField(
        max_length=20,
        choices=Status,
        default=Status.DRAFT,
        help_text="New entries start as drafts; practitioners see an entry once it is published.",
    )
    repeats = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeated_by",
        help_text="The entry whose interventions this one repeats, where it says so (“As above "
        "in 1 - 3 years age range plus:”). Its interventions are shown with this entry and "
        "search finds this entry by them.",
    )
    # Kept current by PostgreSQL triggers from the entry's and its interventions' text, and
    # the interventions of the entry it repeats (migrations 0006, 0012); unused, and left
    # empty, on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = EntryManager()
    # Interventions are edited with their entry, so each version of an entry records its
    # interventions as they were: a revert restores the entry and its interventions together.
    history = ContentHistory(parts=["interventions"], excluded_fields=["search_vector"])

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["pathway", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "position"],
                name="unique_entry_position",
                violation_error_message=(
                    "Another entry of this pathway already has this position: "
                    "choose a free position."
                ),
            ),
            models.UniqueConstraint(fields=["pathway", "number"], name="unique_entry_number"),
        ]
        indexes = [GinIndex(fields=["search_vector"], name="entry_search_vector_gin")]
        permissions = [("publish_entry", "Can publish and unpublish entries")]

    def __str__(self) -> str:
        return f"{self.rationale} ({self.age_band})"

    def natural_key(self) -> tuple:
        # A row written before entries had numbers (an old backup) is numbered by its
        # position, as migration 0016 numbered the entries then.
        number = self.position if self.number is None else self.number
        return (*self.pathway.natural_key(), number)

    natural_key.dependencies = ["pathways.pathway"]

    @property
    def repeats_shown(self) -> Entry | None:
        """The entry whose interventions this one shows "as above" and is found by: the one it
        repeats, while that is published (`shows_repeated`); None otherwise."""
        if self.repeats_id is None or not shows_repeated(self, self.repeats):
            return None
        return self.repeats

    def save(self, *args, **kwargs) -> None:
        if self.number is None:
            self.number = next_entry_number(self.pathway_id)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.repeats_id and self.repeats_id == self.pk:
            raise ValidationError({"repeats": "An entry cannot repeat itself."})
        if self.repeats_id and self.repeats.pathway_id != self.pathway_id:
            raise ValidationError({"repeats": "Choose an entry of the same pathway."})
        if self.stage_id and self.age_band_id and not self.age_band.overlaps(self.stage):
            message = f"The age band {self.age_band} does not overlap the stage {self.stage}."
            raise ValidationError({"age_band": message})


def _place_loaded_entry(sender, instance: Entry, raw: bool, **kwargs) -> None:
    """For loaddata (fixtures, restore): a row written before entries had numbers is
    numbered by its position, and an entry of the database that holds the row's position
    (the pathway was reordered since the file was written) moves to the end, out of the way:
    its own row, if the file has one, puts it back in place."""
    if not raw:
        return
    if instance.number is None:
        instance.number = instance.position
    holder = (
        Entry.objects.filter(pathway_id=instance.pathway_id, position=instance.position)
        .exclude(number=instance.number)
        .first()
    )
    if holder is not None:
        last = Entry.objects.filter(pathway_id=instance.pathway_id).aggregate(
            last=models.Max("position")
        )["last"]
        holder.position = last + 1
        holder.save()


models.signals.pre_save.connect(_place_loaded_entry, sender=Entry, dispatch_uid="entry-loaded")


class InterventionManager(models.Manager):
    def get_by_natural_key(self, pathway_slug, entry_number, position):
        return self.get(
            entry__pathway__slug=pathway_slug, entry__number=entry_number, position=position
        )


class Intervention(models.Model):
    """One paragraph of what to do for an entry, optionally introducing a list of bullets."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="interventions")
    position = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    bullets = models.TextField(blank=True, help_text="One bullet point per line.")

    objects = InterventionManager()
    history = ContentHistory()

    class Meta:
        ordering = ["entry", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "position"], name="unique_intervention_position"
            )
        ]

    def __str__(self) -> str:
        return self.text or (self.bullet_points[0] if self.bullet_points else "")

    def natural_key(self) -> tuple:
        return (*self.entry.natural_key(), self.position)

    natural_key.dependencies = ["pathways.entry"]

    @property
    def bullet_points(self) -> list[str]:
        return [line.strip() for line in self.bullets.splitlines() if line.strip()]

    def clean(self) -> None:
        super().clean()
        if not self.text.strip() and not self.bullet_points:
            raise ValidationError("An intervention needs a paragraph, bullet points or both.")


def repeated_interventions() -> Prefetch:
    """The interventions of the entry an entry repeats, in order, for its card and search."""
    return Prefetch("repeats__interventions", queryset=Intervention.objects.order_by("position"))


class GlossaryTermManager(models.Manager.from_queryset(PublishableQuerySet)):
    def get_by_natural_key(self, term):
        return self.get(term=term)


class GlossaryTerm(Publishable):
    """An abbreviation the pathways use and what it stands for ("SW": "social worker"), for
    every pathway: the same abbreviation means the same across UK early-years services, so
    one glossary serves them all. Search finds a term by its expansions and the expansions
    by the term; each result card explains a term's first use with <abbr>."""

    term = models.CharField(
        max_length=50, unique=True, help_text="As the pathway writes it, e.g. “NICU”."
    )
    expansions = models.TextField(
        help_text="What the term stands for, one per line. The first line is shown where the "
        "term is used; search also finds the term by the other lines (another wording the "
        "pathway uses for the same thing, another spelling)."
    )
    status = models.CharField(
        max_length=20,
        choices=Status,
        default=Status.DRAFT,
        help_text="Search and the result cards use a term once it is published.",
    )

    objects = GlossaryTermManager()
    history = ContentHistory()

    class Meta:
        ordering = ["term"]
        permissions = [("publish_glossaryterm", "Can publish and unpublish glossary terms")]

    def __str__(self) -> str:
        return self.term

    def natural_key(self) -> tuple[str]:
        return (self.term,)

    @property
    def expansion_list(self) -> list[str]:
        return [line.strip() for line in self.expansions.splitlines() if line.strip()]

    @property
    def title(self) -> str:
        """What the card's <abbr> says the term stands for."""
        lines = self.expansion_list
        return lines[0] if lines else ""

    def clean(self) -> None:
        super().clean()
        self.term = (self.term or "").strip()
        if self.expansions is not None and not self.expansion_list:
            raise ValidationError({"expansions": "Say what the term stands for."})


def content_models() -> list[type[models.Model]]:
    """The pathway content: what editors edit, history versions, exports and backups carry,
    and what a cached page depends on. Not content: history records and problem reports."""
    return [
        ContextDocument,
        DocumentSection,
        Stage,
        AgeBand,
        Service,
        Tag,
        Pathway,
        ReadingNote,
        Entry,
        Intervention,
        GlossaryTerm,
        Area,
        LocalService,
        LocalNote,
    ]


# Models that live with the rest of their room; importing them here registers them: readers'
# reports, publishers' notices, areas' local services and notes, what the CDS Hooks service
# remembers of its callers (used JWTs, fetched keys), and the content version's row
# (operations.caching).
from .editing.notifications import ApprovalNotice  # noqa: E402
from .integration.models import IssuerKeySet, UsedJwt  # noqa: E402
from .local.models import Area, AreaMembership, LocalNote, LocalService  # noqa: E402
from .operations.models import ContentVersion  # noqa: E402
from .problem_reports.models import ProblemReport  # noqa: E402
