"""PagerDuty credentials: a REST API key or user token (`Token token=...`), or an OAuth app whose client
id and secret are exchanged for a scoped, read-only bearer token. Secrets are never put in messages.

PagerDuty documents one token endpoint for both service regions; the account is named in the
`as_account-{region}.{subdomain}` scope. The app asks only for the read scopes of the endpoints a collection
calls (the spec's "Scoped OAuth requires" for each operation).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field

from insights.errors import ConfigError, PagerDutyError
from insights.pagerduty.transport import Transport, TransportFailure

TOKEN_ENV, CLIENT_ID_ENV, CLIENT_SECRET_ENV = "PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET"
TOKEN_URL = "https://identity.pagerduty.com/oauth/token"
REGIONS = ("us", "eu")

# Each endpoint the collector calls, as it counts requests, and the scope an OAuth app needs for it.
ENDPOINT_SCOPES = {
    "GET /services": "services.read", "GET /services/{id}": "services.read",
    "GET /escalation_policies": "escalation_policies.read", "GET /teams": "teams.read",
    "GET /oncalls": "oncalls.read", "GET /incidents": "incidents.read", "GET /log_entries": "incidents.read",
    "GET /tags": "tags.read", "GET /tags/{id}/escalation_policies": "tags.read", "GET /tags/{id}/teams": "tags.read",
    "GET /escalation_policies/{id}/tags": "tags.read", "GET /teams/{id}/tags": "tags.read",
    "GET /schedules/{id}": "schedules.read", "GET /standards/scores/{resource_type}": "standards.read",
    "GET /v3/schedules/{id}": None,  # the spec names no scope for it: scoped OAuth tokens are refused
    "GET /change_events": "change_events.read", "GET /services/{id}/change_events": "services.read",
    # The Analytics API's queries only read, yet the spec asks for the write scope.
    "POST /analytics/metrics/incidents/services": "analytics.write", "POST /analytics/raw/incidents": "analytics.write",
}
CORE_SCOPES = ("services.read", "escalation_policies.read", "teams.read", "oncalls.read", "incidents.read")


def scopes_for(tags: bool, schedule_coverage: bool, standards: bool, analytics: bool = False,
               change_events: bool = False) -> tuple[str, ...]:
    """The scopes a collection with these options needs, and no others."""
    return (CORE_SCOPES + ("tags.read",) * tags + ("schedules.read",) * schedule_coverage
            + ("standards.read",) * standards + ("analytics.write",) * analytics
            + ("change_events.read",) * change_events)


@dataclass
class TokenCredential:
    token: str = field(repr=False)
    names: str = TOKEN_ENV

    def header(self) -> str:
        return f"Token token={self.token}"

    def refresh(self) -> bool:
        return False  # an API key cannot be renewed here

    def want(self, scopes: tuple[str, ...]) -> None:
        pass  # an API key's access is set in PagerDuty, not asked for

    def lacks(self, scope: str) -> bool:
        return False


@dataclass
class OAuthCredential:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    subdomain: str
    region: str = "us"
    token_url: str | None = None
    names: str = f"{CLIENT_ID_ENV}/{CLIENT_SECRET_ENV}"
    scopes: tuple[str, ...] = scopes_for(True, True, True)
    granted: frozenset[str] | None = None  # the scopes PagerDuty issued with the token, once known
    time_limit_s: float = 30.0  # the token request, from connecting to the last byte
    _token: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        if self.region not in REGIONS:
            raise ConfigError(f"`pagerduty.region` must be one of {', '.join(REGIONS)}, not {self.region!r}")

    def header(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._exchange()
            return f"Bearer {self._token}"

    def refresh(self) -> bool:
        """A rejected bearer token has expired: get a new one once."""
        with self._lock:
            self._token = self._exchange()
        return True

    def want(self, scopes: tuple[str, ...]) -> None:
        """Ask for these scopes from the next token on."""
        with self._lock:
            if tuple(scopes) != self.scopes:
                self.scopes, self._token = tuple(scopes), None

    def lacks(self, scope: str) -> bool:
        """True when PagerDuty issued the token without this scope."""
        return self.granted is not None and scope not in self.granted

    @property
    def scope(self) -> str:
        return " ".join((f"as_account-{self.region}.{self.subdomain}",) + self.scopes)

    def _exchange(self) -> str:
        url = self.token_url or TOKEN_URL
        endpoint = "POST /oauth/token"
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret, "scope": self.scope}
        try:
            answer = Transport({"Accept": "application/json"}, self.time_limit_s, 1_000_000).send(
                "POST", url, self.time_limit_s, data=form)
        except TransportFailure as error:
            raise PagerDutyError(f"PagerDuty OAuth token endpoint {url}: {error.problem}", endpoint=endpoint) from error
        if answer.status in (400, 401, 403):
            raise PagerDutyError(f"PagerDuty OAuth token endpoint refused the app in {self.names} "
                                 f"(HTTP {answer.status}); check the client id, secret, subdomain, region and the "
                                 f"app's scopes ({' '.join(self.scopes)})", status=answer.status, endpoint=endpoint)
        try:
            data = json.loads(answer.body)
            token, issued = data["access_token"], data.get("scope")
            if not isinstance(token, str) or not token:
                raise TypeError("access_token")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise PagerDutyError(f"PagerDuty OAuth token endpoint answered HTTP {answer.status} without an "
                                 "access_token", status=answer.status, endpoint=endpoint) from error
        self.granted = frozenset(issued.split()) if isinstance(issued, str) else None
        return token


def credential_from_environment(subdomain: str | None, region: str, token_url: str | None,
                                environ=os.environ):
    """PAGERDUTY_TOKEN if set, else an OAuth app from PD_CLIENT_ID and PD_CLIENT_SECRET, else None."""
    if environ.get(TOKEN_ENV):
        return TokenCredential(environ[TOKEN_ENV])
    client_id, secret = environ.get(CLIENT_ID_ENV), environ.get(CLIENT_SECRET_ENV)
    if client_id and secret:
        if not subdomain:
            raise ConfigError(f"{CLIENT_ID_ENV} is set: also set `pagerduty.subdomain` (acme for "
                              "acme.pagerduty.com) in scorecards.yaml")
        return OAuthCredential(client_id, secret, subdomain, region, token_url)
    return None
