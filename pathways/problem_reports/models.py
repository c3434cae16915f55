"""A reader's report that an entry is wrong, out of date or unclear, kept for the editors."""

from django.db import models
from django.utils.text import Truncator


class ProblemReport(models.Model):
    """A reader's report that an entry's content is wrong, out of date or unclear, for editors."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    entry = models.ForeignKey(
        "pathways.Entry", on_delete=models.CASCADE, related_name="problem_reports"
    )
    text = models.TextField("what is wrong", max_length=2000)
    email = models.EmailField("contact email", blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.NEW)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Who sent it, as a keyed hash of their address: enough to count their reports against
    # the hourly limit on every app server, never enough to tell where they were.
    client = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return Truncator(self.text).words(12)
