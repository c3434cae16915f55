"""CDS Hooks 2.0 service: an electronic record shows, on opening a child's record
(`patient-view`), a card saying what each published pathway says to do at the child's age.

Discovery is `GET /cds-services`; each public pathway is a service, `POST /cds-services/<slug>`.
The child's birth date comes from the prefetched Patient, or from the record's FHIR server
when nothing was prefetched; gestation at birth from an Observation coded LOINC 76516-4. What
applies is worked out by the pathway browser's own FilterSet over published content only
(pathways.public), so a card and the page it links to always agree. Callers are EHRs that sign
a JWT with a key they publish (settings.CDS_HOOKS_CLIENTS); docs/integration.md has the rest.
"""

from __future__ import annotations

import functools
import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    UnreadablePostError,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import ages
from ..local.reading import AreaShown, area_named, directory
from ..models import Pathway
from ..operations.caching import content_version
from ..public import filter_entries, public_pathway
from .cds_cards import cards_for
from .cql import GESTATION_AT_BIRTH, LOINC
from .fhir import absolute_url
from .models import IssuerKeySet, UsedJwt

logger = logging.getLogger("pathways.cds_hooks")

HOOK = "patient-view"
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "gestation": f"Observation?patient={{{{context.patientId}}}}&code={LOINC}|{GESTATION_AT_BIRTH}",
}
# The spec forbids "none" and shared-secret (HMAC) signatures: only public-key algorithms.
ALGORITHMS = [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
]
# Clocks of an EHR and of this server may differ by a little.
CLOCK_LEEWAY_SECONDS = 30
# A JWT is for one call made now: its exp at most this long after its iat.
MAX_TOKEN_LIFETIME_SECONDS = 5 * 60
# The longest kid and jti we read: a UUID is 36 characters.
MAX_ID_LENGTH = 255
# A client's JWK Set at its jwks_url is fetched at most once a minute, whatever callers send,
# and its keys are trusted for five minutes after that, so a key the EHR withdraws stops working.
KEY_FETCH_INTERVAL_SECONDS = 60
KEY_SET_LIFETIME_SECONDS = 5 * 60
MAX_JWKS_BYTES = 100_000
# Born at 37 weeks or later is at term: there is nothing to correct for.
TERM_DAYS = 37 * 7
# The most we read from an EHR's FHIR server for one resource: a Patient is a few kilobytes.
MAX_FHIR_RESPONSE_BYTES = 1_000_000
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UUID_TEXT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
# FHIR's instant: a date and time to the second or finer, with its time zone.
INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)


class CdsError(Exception):
    """A request the service cannot answer with cards; the message is for the EHR's log."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# HTTP: CORS for browser-based EHRs, JSON in and out.


def with_cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The headers a browser needs before it lets an EHR's page read our answer."""
    allowed = settings.CDS_HOOKS_ALLOWED_ORIGINS
    origin = request.headers.get("Origin", "")
    if not allowed:
        response["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response["Access-Control-Allow-Origin"] = origin
    if allowed:
        patch_vary_headers(response, ["Origin"])
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    return response


def answer(request: HttpRequest, data: dict, status: int = 200) -> HttpResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    # Cards are about one child: no cache anywhere may keep them.
    response["Cache-Control"] = "no-store"
    return with_cors(request, response)


def preflight(request: HttpRequest) -> HttpResponse:
    return with_cors(request, HttpResponse(status=204))


# Discovery.


def service_description(pathway: Pathway) -> dict:
    return {
        "hook": HOOK,
        "id": pathway.slug,
        "title": f"{pathway.title} pathway",
        "description": (
            f"What the {pathway.title} pathway says to do for a child of this age (corrected "
            "for prematurity below 2 years), with a link to the pathway filtered for the child."
        ),
        "prefetch": PREFETCH,
    }


@csrf_exempt
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def discovery(request: HttpRequest) -> HttpResponse:
    """The services: one per public pathway. Open to all: it holds nothing about a patient."""
    if request.method == "OPTIONS":
        return preflight(request)
    services = [service_description(pathway) for pathway in Pathway.objects.public()]
    return with_cors(request, JsonResponse({"services": services}))


# Calling a service.


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def service(request: HttpRequest, service_id: str) -> HttpResponse:
    """Cards for the child in `patient-view`: 400 for a request we cannot read (413 when too
    large), 401 for a caller we do not trust, 412 when the child's record cannot be had."""
    if request.method == "OPTIONS":
        return preflight(request)
    caller: dict[str, object] = {}
    try:
        claims = authenticate(request, service_id, caller)
        pathway = service_pathway(service_id)
        hook_request = read_request(request)
        born, gestation_days = child_details(hook_request)
        area = issuer_area(claims)
        found = cards(pathway, born, gestation_days, hook_request["hookInstance"], area)
        return answer(request, {"cards": found})
    except CdsError as error:
        return refusal(request, service_id, caller, error)


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def feedback(request: HttpRequest, service_id: str) -> HttpResponse:
    """What the practitioner did with our cards (CDS Hooks 2.0, "Feedback"): checked, and
    logged as one JSON line on the `pathways.cds_hooks` logger (no model holds it)."""
    if request.method == "OPTIONS":
        return preflight(request)
    caller: dict[str, object] = {}
    try:
        feedback_url = absolute_url(reverse("pathways:cds_feedback", args=[service_id]))
        authenticate(request, service_id, caller, also_audience=feedback_url)
        service_pathway(service_id)
        items = read_feedback(read_json(request))
    except CdsError as error:
        return refusal(request, service_id, caller, error)
    for item in items:
        record = {"service": service_id, "issuer": caller.get("issuer"), **item}
        logger.info("CDS Hooks feedback: %s", json.dumps(record, sort_keys=True))
    return answer(request, {"received": len(items)})


def issuer_area(claims: dict | None) -> AreaShown | None:
    """The published area settings map the verified caller's issuer to (its "area" in
    CDS_HOOKS_CLIENTS), or None: unsigned calls and issuers without one get national cards,
    and so does an issuer mapped to an area not published, with a warning in the log."""
    if claims is None:
        return None
    client = settings.CDS_HOOKS_CLIENTS.get(claims["iss"], {})
    slug = client.get("area")
    if not slug:
        return None
    area = area_named(slug, content_version()) if isinstance(slug, str) else None
    if area is None:
        logger.warning(
            "CDS Hooks: issuer %s is mapped to area %s, which is not published: "
            "its cards are national.",
            shown(claims["iss"]),
            shown(slug),
        )
    return area


def service_pathway(service_id: str) -> Pathway:
    try:
        return public_pathway(service_id)
    except Http404:
        raise CdsError(404, f"There is no CDS service {service_id!r}.") from None


def refusal(request: HttpRequest, service_id: str, caller: dict, error: CdsError) -> HttpResponse:
    """The JSON error for a refused call, logged with the reason and who asked, never the
    token: a logged token could be replayed."""
    logger.warning(
        "CDS Hooks: refused a call to %s with %s: %s (issuer %s, kid %s)",
        shown(service_id),
        error.status,
        error.message,
        shown(caller.get("issuer")),
        shown(caller.get("kid")),
    )
    response = answer(request, {"error": error.message}, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="cds-services"'
    return response


def shown(value: object) -> str:
    """A value from the caller, short enough for one log line."""
    return "unknown" if value is None else repr(value)[:100]


def read_json(request: HttpRequest) -> dict:
    """The request's body, a JSON object."""
    try:
        data = json.loads(request.body)
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise CdsError(413, f"The request body is larger than {limit} bytes.") from None
    except (ValueError, RecursionError, UnreadablePostError):
        # RecursionError: JSON nested deeper than Python will follow.
        raise CdsError(400, "The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise CdsError(400, "The request body must be a JSON object.")
    return data


def read_request(request: HttpRequest) -> dict:
    """A patient-view request by the specification's rules ("HTTP Request", "patient-view")."""
    data = read_json(request)
    if data.get("hook") != HOOK:
        raise CdsError(400, f'This service answers the "{HOOK}" hook only.')
    instance = data.get("hookInstance")
    if instance in (None, ""):
        raise CdsError(400, "The request has no hookInstance.")
    if not isinstance(instance, str) or not UUID_TEXT.fullmatch(instance):
        raise CdsError(400, "The request's hookInstance must be a UUID.")
    context = data.get("context")
    if not isinstance(context, dict):
        raise CdsError(400, "The request has no context object.")
    for name in ("userId", "patientId"):
        if not isinstance(context.get(name), str) or not context[name]:
            raise CdsError(400, f"The patient-view context has no {name}.")
    check_fhir_authorization(data)
    prefetch = data.get("prefetch", {})
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise CdsError(400, "prefetch must be a JSON object.")
    data["prefetch"] = prefetch
    return data


# The specification's fhirAuthorization: an OAuth 2.0 access token for fhirServer.
FHIR_AUTHORIZATION_FIELDS = {
    "access_token": str,
    "token_type": str,
    "expires_in": int,
    "scope": str,
    "subject": str,
}


def check_fhir_authorization(data: dict) -> None:
    """fhirAuthorization, when given, comes with the fhirServer it is for and has the fields
    the specification requires."""
    authorization = data.get("fhirAuthorization")
    if authorization is None:
        return
    if data.get("fhirServer") is None:
        raise CdsError(400, "fhirAuthorization is given without a fhirServer.")
    if not isinstance(authorization, dict):
        raise CdsError(400, "fhirAuthorization must be a JSON object.")
    for name, kind in FHIR_AUTHORIZATION_FIELDS.items():
        value = authorization.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise CdsError(400, f"fhirAuthorization has no {name}.")
    if authorization["token_type"] != "Bearer":
        raise CdsError(400, 'fhirAuthorization.token_type must be "Bearer".')


def read_feedback(data: dict) -> list[dict]:
    """The feedback entries of a feedback request ("Feedback" in the specification), as they
    are logged: the override's coded reason, but of its free-text comment only whether there
    is one (a practitioner may write about the child there)."""
    entries = data.get("feedback")
    if not isinstance(entries, list) or not entries:
        raise CdsError(400, "The request has no feedback array.")
    return [read_feedback_entry(entry, number) for number, entry in enumerate(entries)]


def is_instant(value) -> bool:
    if not isinstance(value, str) or not INSTANT.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def read_feedback_entry(entry, number: int) -> dict:
    where = f"feedback[{number}]"
    if not isinstance(entry, dict):
        raise CdsError(400, f"{where} must be a JSON object.")
    card, outcome = entry.get("card"), entry.get("outcome")
    if not isinstance(card, str) or not UUID_TEXT.fullmatch(card):
        raise CdsError(400, f"{where}.card must be the uuid of one of our cards.")
    if outcome not in ("accepted", "overridden"):
        raise CdsError(400, f'{where}.outcome must be "accepted" or "overridden".')
    if not is_instant(entry.get("outcomeTimestamp")):
        raise CdsError(400, f"{where}.outcomeTimestamp must be an ISO 8601 date and time.")
    accepted = entry.get("acceptedSuggestions", [])
    if not isinstance(accepted, list) or not all(
        isinstance(s, dict) and isinstance(s.get("id"), str) for s in accepted
    ):
        raise CdsError(400, f"{where}.acceptedSuggestions must be a list of {{id}} objects.")
    reason = entry.get("overrideReason")
    if reason is not None and (outcome != "overridden" or not isinstance(reason, dict)):
        raise CdsError(400, f"{where}.overrideReason is an object, for an overridden card only.")
    reason = reason or {}
    coding = reason.get("reason")
    if coding is not None and not isinstance(coding, dict):
        raise CdsError(400, f"{where}.overrideReason.reason must be a Coding.")
    comment = reason.get("userComment")
    if comment is not None and not isinstance(comment, str):
        raise CdsError(400, f"{where}.overrideReason.userComment must be a string.")
    return {
        "card": card.lower(),
        "outcome": outcome,
        "outcomeTimestamp": entry["outcomeTimestamp"],
        "acceptedSuggestions": len(accepted),
        "overrideReason": {k: str(coding.get(k))[:100] for k in ("system", "code") if k in coding}
        if coding
        else None,
        "userComment": comment is not None,
    }


# Security: the caller's JWT. Everything that can be checked without a key is checked first,
# so a caller without a trusted key can never make us fetch one.


def authenticate(
    request: HttpRequest, service_id: str, caller: dict | None = None, also_audience: str = ""
) -> dict | None:
    """The verified claims of the caller's JWT, or None for an unsigned call where allowed.
    `caller` is given the JWT's issuer and kid as soon as they are read, for the log. The JWT's
    aud is the service's URL, or `also_audience` (the feedback endpoint's own URL) if given."""
    # PyJWT loads OpenSSL's bindings, a fifth of a second: only calls to the service need
    # it, not every worker as it starts.
    import jwt

    caller = {} if caller is None else caller
    header = request.headers.get("Authorization", "")
    if not header:
        if settings.CDS_HOOKS_ALLOW_UNSIGNED:
            return None
        raise CdsError(401, "A signed JWT is required: Authorization: Bearer <JWT>.")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise CdsError(401, "The Authorization header must be: Bearer <JWT>.")
    try:
        jose = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise CdsError(401, "The bearer token is not a JWT.") from None
    issuer, key_id = unverified.get("iss"), jose.get("kid")
    caller.update(issuer=issuer, kid=key_id)
    client = settings.CDS_HOOKS_CLIENTS.get(issuer) if isinstance(issuer, str) else None
    if not isinstance(client, dict):
        raise CdsError(401, "The JWT's issuer is not a client of this service.")
    if jose.get("alg") not in ALGORITHMS:
        raise CdsError(401, "The JWT is not signed with a public-key algorithm.")
    if not isinstance(key_id, str) or not 0 < len(key_id) <= MAX_ID_LENGTH:
        raise CdsError(401, "The JWT header has no kid naming the key that signed it.")
    audience = [absolute_url(reverse("pathways:cds_service", args=[service_id]))]
    audience += [also_audience] if also_audience else []
    expected = {"audience": audience, "issuer": issuer, "leeway": CLOCK_LEEWAY_SECONDS}
    required = {"require": ["iss", "aud", "exp", "iat", "jti"]}
    # PyJWT checks no claim of an unverified JWT unless asked for each.
    unverified_checks = {"verify_signature": False, "verify_exp": True, "verify_iat": True}
    unverified_checks |= {"verify_aud": True, "verify_iss": True, "verify_jti": True}
    try:
        # The claims first: a JWT that would be refused anyway costs no key.
        jwt.decode(token, options=required | unverified_checks, **expected)
        check_lifetime(unverified)
        if UsedJwt.objects.filter(issuer=issuer, jti=unverified["jti"]).exists():
            raise CdsError(401, "The JWT has been used before.")
        key = signing_key(issuer, client, key_id)
        claims = jwt.decode(token, key, algorithms=ALGORITHMS, options=required, **expected)
    except jwt.ExpiredSignatureError:
        raise CdsError(401, "The JWT has expired.") from None
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise CdsError(401, f"The JWT was refused: {error}") from None
    record_use(issuer, claims)
    return claims


def check_lifetime(claims: dict) -> None:
    """A JWT is good for a few minutes from when it was issued, and its jti is an id."""
    issued, expires = claims["iat"], claims["exp"]
    for value in (issued, expires):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CdsError(401, "The JWT's iat and exp must be numbers of seconds.")
    if expires - issued > MAX_TOKEN_LIFETIME_SECONDS:
        raise CdsError(
            401, f"The JWT's exp is more than {MAX_TOKEN_LIFETIME_SECONDS} seconds after its iat."
        )
    jti = claims["jti"]
    # Printable: PostgreSQL refuses a NUL in text, which would make the lookup a 500.
    if not 0 < len(jti) <= MAX_ID_LENGTH or not jti.isprintable():
        raise CdsError(401, f"The JWT's jti must be 1 to {MAX_ID_LENGTH} printable characters.")


def record_use(issuer: str, claims: dict) -> None:
    """Keeps the JWT's jti in the database, which every worker and app server shares, until
    the JWT expires: the same jti again hits the unique constraint and is a replay."""
    now = timezone.now()
    expires = datetime.fromtimestamp(claims["exp"] + CLOCK_LEEWAY_SECONDS, tz=UTC)
    try:
        with transaction.atomic():
            UsedJwt.objects.create(issuer=issuer, jti=claims["jti"], expires_at=expires)
    except IntegrityError:
        raise CdsError(401, "The JWT has been used before.") from None
    # Expired JWTs are refused by their exp: their rows can go. The index on expires_at makes
    # this touch only them, and there are few since each call clears them.
    UsedJwt.objects.filter(expires_at__lt=now).delete()


def signing_key(issuer: str, client: dict, key_id: str):
    """The client's public key named by the JWT's `kid`, from its JWK Set: the one configured,
    or the one at its jwks_url (see fetched_key)."""
    import jwt

    try:
        if "jwks" in client:
            key = key_in(client["jwks"], key_id)
        elif isinstance(client.get("jwks_url"), str):
            key = fetched_key(issuer, client["jwks_url"], key_id)
        else:
            raise CdsError(401, "The issuer has no keys configured.")
    except (AttributeError, KeyError, TypeError, ValueError, jwt.PyJWTError) as error:
        # A mistake in CDS_HOOKS_CLIENTS: the server's log says so, the caller is refused.
        logger.error("CDS Hooks: the keys configured for an issuer are unusable: %r", error)
        raise CdsError(401, "The issuer's keys could not be used.") from None
    if key is None:
        raise CdsError(401, "No key of the issuer matches the JWT's kid.")
    return key


def key_in(jwks: dict, key_id: str):
    """The public key in a JWK Set whose kid is `key_id`, or None."""
    import jwt

    if not jwks:
        return None
    for key in jwt.PyJWKSet.from_dict(jwks).keys:
        if key.key_id == key_id:
            return key.key
    return None


def fetched_key(issuer: str, url: str, key_id: str):
    """The key from the issuer's JWK Set as kept in the database. The set is fetched again
    when it lacks the kid or is KEY_SET_LIFETIME old, but at most once a minute per issuer
    for all workers and servers together; until then (or if that fetch fails) a kept set
    still serves for one more minute, and then nothing does."""
    now = timezone.now()
    kept = IssuerKeySet.objects.filter(issuer=issuer, url=url, fetched_at__isnull=False).first()
    age = (now - kept.fetched_at).total_seconds() if kept else None
    key = None
    if age is not None and age < KEY_SET_LIFETIME_SECONDS + KEY_FETCH_INTERVAL_SECONDS:
        key = key_in_fetched(issuer, kept.jwks, key_id)
    if key is not None and age < KEY_SET_LIFETIME_SECONDS:
        return key
    if not claim_key_fetch(issuer, url, now):
        return key
    try:
        jwks = fetch_jwks(url)
    except (OSError, ValueError, http.client.HTTPException) as error:
        logger.warning("CDS Hooks: fetching the keys of %s from %s failed: %s", issuer, url, error)
        return key
    IssuerKeySet.objects.filter(issuer=issuer).update(url=url, jwks=jwks, fetched_at=timezone.now())
    return key_in_fetched(issuer, jwks, key_id)


def key_in_fetched(issuer: str, jwks: dict, key_id: str):
    """key_in for a set an EHR served: a set we cannot read is the EHR's problem, logged."""
    import jwt

    try:
        return key_in(jwks, key_id)
    except (AttributeError, KeyError, TypeError, ValueError, jwt.PyJWTError) as error:
        logger.warning("CDS Hooks: the JWK Set of %s is unusable: %r", issuer, error)
        return None


def claim_key_fetch(issuer: str, url: str, now) -> bool:
    """Whether this call may fetch the issuer's keys: none has tried in the last minute. The
    claim is one conditional write, so of workers asking at once only one gets it."""
    cutoff = now - timedelta(seconds=KEY_FETCH_INTERVAL_SECONDS)
    if IssuerKeySet.objects.filter(issuer=issuer, tried_at__lte=cutoff).update(tried_at=now):
        return True
    try:
        with transaction.atomic():
            IssuerKeySet.objects.create(issuer=issuer, url=url, tried_at=now)
    except IntegrityError:
        return False  # tried less than a minute ago, by this worker or another
    return True


def fetch_jwks(url: str) -> dict:
    """The JWK Set at a client's configured jwks_url, with a time and size limit."""
    timeout = max(settings.CDS_HOOKS_FHIR_TIMEOUT, 0.1)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with fhir_opener().open(request, timeout=timeout) as response:
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("the JWK Set is too large")
    jwks = json.loads(body)
    if not isinstance(jwks, dict):
        raise ValueError("the JWK Set is not a JSON object")
    return jwks


# The child: birth date and gestation, prefetched or fetched.


def child_details(hook_request: dict) -> tuple[date, int | None]:
    """The child's date of birth and gestation at birth in days (None when not known)."""
    prefetch = hook_request["prefetch"]
    patient = prefetch.get("patient")
    if patient is None:
        patient = fetch(hook_request, "Patient/{id}", required=True)
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        raise CdsError(400, "The patient is not a FHIR Patient resource.")
    patient_id = hook_request["context"].get("patientId")
    if not isinstance(patient_id, str) or patient.get("id") != patient_id:
        # Guidance for another child is worse than none: the record must hand over the
        # Patient it has open (hazard H10 in docs/clinical-safety/hazard-log.md).
        raise CdsError(412, "The Patient given is not the patient in context (context.patientId).")
    born = birth_date(patient)
    observations = prefetch.get("gestation")
    if observations is None and "gestation" not in prefetch and hook_request.get("fhirServer"):
        # The record did not say whether it has a gestation: ask it, but a baby's age alone
        # still gives an answer, so a failure here is not the caller's problem.
        observations = fetch(
            hook_request,
            f"Observation?patient={{id}}&code={quote(f'{LOINC}|{GESTATION_AT_BIRTH}')}",
            required=False,
        )
    return born, gestation_days(observations, patient_id)


def birth_date(patient: dict) -> date:
    value = patient.get("birthDate")
    if not isinstance(value, str) or not FULL_DATE.fullmatch(value):
        raise CdsError(400, "The Patient has no full birth date (YYYY-MM-DD).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CdsError(400, f"The Patient's birth date {value!r} is not a real date.") from None


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would resend the EHR's access token to wherever a redirect points."""

    def redirect_request(self, *args, **kwargs):
        return None  # so the 3xx is an HTTPError, a failed fetch


@functools.cache
def fhir_opener() -> urllib.request.OpenerDirector:
    # Built on first use: it loads the system's CA certificates, which every app server
    # worker would otherwise pay for at start, called or not.
    return urllib.request.build_opener(RefuseRedirects)


def fetch(hook_request: dict, template: str, *, required: bool):
    """A resource from the EHR's FHIR server, with its access token and a time limit."""
    server = hook_request.get("fhirServer")
    if server is None:
        raise CdsError(
            412, "The Patient was not prefetched and there is no fhirServer to fetch it from."
        )
    if not isinstance(server, str):
        raise CdsError(400, "fhirServer must be a URL.")
    try:
        parts = urlsplit(server)
    except ValueError:
        raise CdsError(400, "fhirServer is not a URL.") from None
    schemes = {"https"} if settings.PRODUCTION else {"http", "https"}
    if parts.scheme not in schemes or not parts.netloc:
        raise CdsError(400, f"fhirServer must be an {' or '.join(sorted(schemes))} URL.")
    patient_id = hook_request["context"].get("patientId")
    if not isinstance(patient_id, str) or not FHIR_ID.fullmatch(patient_id):
        raise CdsError(400, "context.patientId is missing or not a FHIR id.")
    url = f"{server.rstrip('/')}/{template.format(id=patient_id)}"
    headers = {"Accept": "application/fhir+json"}
    authorization = hook_request.get("fhirAuthorization")
    if isinstance(authorization, dict) and isinstance(authorization.get("access_token"), str):
        headers["Authorization"] = f"Bearer {authorization['access_token']}"
    try:
        with fhir_opener().open(
            urllib.request.Request(url, headers=headers), timeout=settings.CDS_HOOKS_FHIR_TIMEOUT
        ) as response:
            body = response.read(MAX_FHIR_RESPONSE_BYTES + 1)
        if len(body) > MAX_FHIR_RESPONSE_BYTES:
            raise ValueError("response too large")
        return json.loads(body)
    except (OSError, ValueError, http.client.HTTPException) as error:
        # urllib's URLError and HTTPError, and timeouts, are OSErrors.
        logger.warning("CDS Hooks: fetching %s failed: %s", url, error)
        if required:
            raise CdsError(412, "The Patient could not be fetched from fhirServer.") from None
        return None


def gestation_days(observations, patient_id: str) -> int | None:
    """Gestation at birth in days from an Observation, or the first usable one in a Bundle;
    an Observation whose subject is another patient is never used."""
    if isinstance(observations, dict) and observations.get("resourceType") == "Bundle":
        entries = observations.get("entry")
        candidates = (
            [entry.get("resource") for entry in entries or [] if isinstance(entry, dict)]
            if isinstance(entries, list)
            else []
        )
    else:
        candidates = [observations]
    for observation in candidates:
        if not is_about(observation, patient_id):
            continue
        found = observation_days(observation)
        if found is not None:
            return found
    return None


# A reference to a Patient, relative or absolute, perhaps to one version of it.
PATIENT_REFERENCE = re.compile(r"(?:.*/)?Patient/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?")


def is_about(observation, patient_id: str) -> bool:
    """Whether an Observation may be about the patient: its subject, when it names one, is
    that Patient (a search by patient need not repeat the subject)."""
    subject = observation.get("subject") if isinstance(observation, dict) else None
    if subject is None:
        return True
    reference = subject.get("reference") if isinstance(subject, dict) else None
    found = PATIENT_REFERENCE.fullmatch(reference) if isinstance(reference, str) else None
    return found is not None and found["id"] == patient_id


def observation_days(observation) -> int | None:
    if not isinstance(observation, dict) or observation.get("resourceType") != "Observation":
        return None
    if observation.get("status") == "entered-in-error":
        return None
    code = observation.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list) or not any(
        isinstance(c, dict) and c.get("system") == LOINC and c.get("code") == GESTATION_AT_BIRTH
        for c in codings
    ):
        return None
    quantity = observation.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 400:
        return None
    unit = quantity.get("code") or quantity.get("unit")
    if ages.QUANTITY_DAYS.get(unit) == 1 and value < 1:
        return None
    return ages.quantity_days(value, unit)


# What applies, and the card that says it.


def applicable(pathway: Pathway, born: date, gestation: int | None):
    """The browser's FilterSet for the child, and a note when the gestation was not used."""
    params = QueryDict(mutable=True)
    params["dob"] = born.isoformat()
    note = None
    if gestation is not None and gestation < TERM_DAYS:
        weeks, extra = divmod(gestation, 7)
        # Weeks and days where the filter reads them ("32+4"), whole weeks where it does not.
        choices = [f"{weeks}+{extra}", str(weeks)] if extra else [str(weeks)]
        for value in choices:
            params["born_at_weeks"] = value
            filterset = filter_entries(pathway, params)
            problems = filterset.form.errors.get("born_at_weeks")
            if not problems:
                return filterset, None
        note = f"Gestation at birth ({weeks}+{extra} weeks) was not used: {problems[0]}"
        del params["born_at_weeks"]
    return filter_entries(pathway, params), note


def cards(
    pathway: Pathway,
    born: date,
    gestation: int | None,
    hook_instance: str,
    area: AreaShown | None = None,
) -> list[dict]:
    filterset, note = applicable(pathway, born, gestation)
    problems = filterset.form.errors.as_data()
    if "dob" in problems:
        if any(problem.code == "too_old" for problem in problems["dob"]):
            return []  # Born longer ago than any child (ages.is_past_oldest): no card.
        raise CdsError(400, f"The birth date cannot be used: {problems['dob'][0].messages[0]}")
    child_age = filterset.child_age
    entries = list(filterset.qs)
    if child_age is None or not entries:
        return []
    local = directory(area, content_version()) if area is not None else None
    return cards_for(pathway, filterset, entries, note, hook_instance, local)
