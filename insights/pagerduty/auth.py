"""PagerDuty credentials: a REST API key or user token (`Token token=...`), or an OAuth app whose client
id and secret are exchanged for a scoped, read-only bearer token. Secrets are never put in messages."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import requests

from insights.errors import ConfigError, PagerDutyError

TOKEN_ENV, CLIENT_ID_ENV, CLIENT_SECRET_ENV = "PAGERDUTY_TOKEN", "PD_CLIENT_ID", "PD_CLIENT_SECRET"
TOKEN_URLS = {"us": "https://identity.pagerduty.com/oauth/token",
              "eu": "https://identity.eu.pagerduty.com/oauth/token"}
READ_SCOPES = ("services.read", "escalation_policies.read", "oncalls.read", "incidents.read", "teams.read",
               "tags.read", "schedules.read", "standards.read")


@dataclass
class TokenCredential:
    token: str = field(repr=False)
    names: str = TOKEN_ENV

    def header(self) -> str:
        return f"Token token={self.token}"

    def refresh(self) -> bool:
        return False  # an API key cannot be renewed here


@dataclass
class OAuthCredential:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    subdomain: str
    region: str = "us"
    token_url: str | None = None
    names: str = f"{CLIENT_ID_ENV}/{CLIENT_SECRET_ENV}"
    _token: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def _exchange(self) -> str:
        url = self.token_url or TOKEN_URLS[self.region]
        scope = f"as_account-{self.region}.{self.subdomain} " + " ".join(READ_SCOPES)
        try:
            response = requests.post(url, data={"grant_type": "client_credentials", "client_id": self.client_id,
                                                "client_secret": self.client_secret, "scope": scope}, timeout=30)
        except requests.RequestException as error:
            raise PagerDutyError(f"PagerDuty OAuth token endpoint {url} cannot be reached "
                                 f"({type(error).__name__})", endpoint="POST /oauth/token") from error
        if response.status_code in (400, 401, 403):
            raise PagerDutyError(f"PagerDuty OAuth token endpoint refused the app in {self.names} "
                                 f"(HTTP {response.status_code}); check the client id, secret, subdomain and region",
                                 status=response.status_code, endpoint="POST /oauth/token")
        try:
            return response.json()["access_token"]
        except (ValueError, KeyError, TypeError) as error:
            raise PagerDutyError(f"PagerDuty OAuth token endpoint answered HTTP {response.status_code} without "
                                 "an access_token", status=response.status_code,
                                 endpoint="POST /oauth/token") from error


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
