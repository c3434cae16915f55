"""The content version's one row: the version every app server reads, changed in the same
transaction as the content it versions."""

from django.db import models


class ContentVersion(models.Model):
    """The current version of the pathway content (operations.caching): a new random token
    at every save or delete of content. One row, pk 1."""

    token = models.CharField(max_length=32)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return self.token
