"""What the CDS Hooks service must remember across every worker and app server: the JWTs it
has accepted (so none is used twice) and each client's keys (so they are fetched rarely)."""

from django.db import models


class UsedJwt(models.Model):
    """A JWT the CDS Hooks service accepted: its `jti` may not be used again by its issuer."""

    issuer = models.TextField()
    jti = models.CharField(max_length=255)
    # After this the JWT has expired anyway: the row can go.
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()  # the service's own memory: nobody edits it
        constraints = [
            models.UniqueConstraint(fields=["issuer", "jti"], name="used_jwt_once_per_issuer")
        ]

    def __str__(self) -> str:
        return f"{self.jti} from {self.issuer}"


class IssuerKeySet(models.Model):
    """A CDS Hooks client's JWK Set as last fetched from its `jwks_url`, and when it was last
    asked for, so that callers cannot make the service fetch it more than once a minute."""

    issuer = models.TextField(unique=True)
    url = models.TextField()
    jwks = models.JSONField(default=dict)
    fetched_at = models.DateTimeField(null=True)
    tried_at = models.DateTimeField()

    class Meta:
        default_permissions = ()  # the service's own memory: nobody edits it

    def __str__(self) -> str:
        return f"keys of {self.issuer}"
