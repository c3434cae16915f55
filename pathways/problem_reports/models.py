"""A reader's report that an entry or a local service is wrong, out of date or unclear, kept
for the editors (an area's editors for its services), and closed with a resolution the reader
is told of when they left an address."""

from django.db import models
from django.utils.text import Truncator


class ProblemReport(models.Model):
    """A reader's report that an entry's content is wrong, out of date or unclear, for editors."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    entry = models.ForeignKey(
        "pathways.Entry",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="problem_reports",
    )
    local_service = models.ForeignKey(
        "pathways.LocalService",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="problem_reports",
    )
    text = models.TextField("what is wrong", max_length=2000)
    email = models.EmailField("contact email", blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.NEW)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Who sent it, as a keyed hash of their address: enough to count their reports against
    # the hourly limit on every app server, never enough to tell where they were.
    client = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    resolution = models.TextField(
        blank=True, help_text="What was done, as the reader will read it when told it is closed."
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # About one thing: an entry or a local service.
            models.CheckConstraint(
                condition=(
                    models.Q(entry__isnull=False, local_service__isnull=True)
                    | models.Q(entry__isnull=True, local_service__isnull=False)
                ),
                name="problem_report_about_one_thing",
            )
        ]

    def __str__(self) -> str:
        return Truncator(self.text).words(12)
