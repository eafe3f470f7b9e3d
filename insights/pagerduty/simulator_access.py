"""Who may call the simulator, what each credential sees, and how fast: as PagerDuty applies them.

- Credentials: account API keys and user tokens (`Token token=...`), and bearer tokens issued to an OAuth app by
  the client-credentials grant (`POST /oauth/token` with `as_account-REGION.SUBDOMAIN` and the wanted scopes;
  the token carries the scopes both asked for and granted to the app).
- A bearer token is refused (403) an operation whose scope it lacks, or one for which the spec names no scope
  ("the API endpoint does not yet support API Scopes"); API keys have no scopes.
- Rate limits: a fixed window per credential (per API key; per OAuth app, whatever its tokens), and a second
  one per operation on those the spec marks as having their own limit. Every evaluated answer carries
  `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (seconds until the window resets) of the
  limit closest to being reached.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field

REGIONS = ("us", "eu")
ACCOUNT_SCOPE = re.compile(r"^as_account-(?P<region>[a-z]+)\.(?P<subdomain>[a-z0-9][a-z0-9-]*)$")


@dataclass(frozen=True)
class Access:
    """What one credential may see: the teams whose objects it sees (None: the whole account, as an account
    key does), and operations it is refused (`GET /standards/scores/{resource_type}`), answered 403."""
    teams: frozenset[str] | None = None
    refused: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Caller:
    rate_key: str
    access: Access
    scopes: frozenset[str] | None = None  # a bearer token's scopes; None for API keys

    def refusal(self, endpoint: str, scope: str | None) -> str | None:
        """Why this caller may not call the operation, or None."""
        if endpoint in self.access.refused:
            return f"this credential may not use {endpoint}"
        if self.scopes is None:
            return None
        if scope is None:
            return f"{endpoint} does not support scoped OAuth tokens"
        if scope not in self.scopes and not (scope.endswith(".read") and "read" in self.scopes):
            return f"the token was not granted the `{scope}` scope {endpoint} requires"
        return None


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str = field(repr=False)
    scopes: frozenset[str] | None = None  # what the app was granted; None: whatever it asks for
    access: Access = Access()  # a team-scoped app sees only its teams
    region: str = "us"
    subdomain: str | None = None  # the account's; None: any
    token_ttl_s: float = 3600.0


class Credentials:
    def __init__(self, keys: dict[str, Access], app: OAuthApp | None):
        self.keys, self.app = keys, app
        self.bearer: dict[str, tuple[float, frozenset[str]]] = {}  # token -> (monotonic expiry, scopes)
        self.lock = threading.Lock()

    def authenticate(self, header: str | None) -> Caller | None:
        if header and header.startswith("Token token="):
            key = header[len("Token token="):]
            return Caller(f"key:{key}", self.keys[key]) if key in self.keys else None
        if header and header.startswith("Bearer ") and self.app:
            with self.lock:
                expiry, scopes = self.bearer.get(header[len("Bearer "):], (0.0, frozenset()))
            if expiry > time.monotonic():
                return Caller(f"app:{self.app.client_id}", self.app.access, scopes)
        return None

    def issue(self, form: dict[str, list[str]]) -> tuple[int, dict]:
        """The client-credentials grant, answered as PagerDuty's identity service does."""
        first = {k: v[0] for k, v in form.items()}
        if first.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"}
        app = self.app
        if not app or (first.get("client_id"), first.get("client_secret")) != (app.client_id, app.client_secret):
            return 401, {"error": "invalid_client", "error_description": "client authentication failed"}
        words = first.get("scope", "").split()
        accounts = [m for m in map(ACCOUNT_SCOPE.match, words) if m]
        if len(accounts) != 1 or accounts[0]["region"] not in REGIONS:
            return 400, {"error": "invalid_scope", "error_description": "the scope must name one account as "
                         "as_account-REGION.SUBDOMAIN, REGION us or eu"}
        account = accounts[0]
        if account["region"] != app.region or app.subdomain not in (None, account["subdomain"]):
            return 400, {"error": "invalid_scope", "error_description": "the app has no access to that account"}
        wanted = {w for w in words if not ACCOUNT_SCOPE.match(w)}
        granted = frozenset(wanted if app.scopes is None else wanted & app.scopes)
        token = secrets.token_hex(16)
        with self.lock:
            self.bearer[token] = (time.monotonic() + app.token_ttl_s, granted)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": int(app.token_ttl_s),
                     "scope": " ".join([account.group(0), *sorted(granted)])}

    def expire_tokens(self) -> None:
        with self.lock:
            self.bearer.clear()


class RateWindow:
    """A fixed window: `limit` requests, counted from the first request after the previous window ended."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self.start, self.used = time.monotonic(), 0

    def state(self, now: float) -> tuple[int, float]:
        if now - self.start >= self.seconds:
            self.start, self.used = now, 0
        return self.limit - self.used, self.seconds - (now - self.start)


class RateLimits:
    def __init__(self, per_window: int, seconds: float, per_operation: int | None = None):
        self.per_window, self.seconds, self.per_operation = per_window, seconds, per_operation
        self.windows: dict[tuple[str, str], RateWindow] = {}
        self.lock = threading.Lock()

    def take(self, rate_key: str, endpoint: str | None) -> tuple[bool, dict[str, str]]:
        """Count one request if every window that applies has room; the headers of the tightest window."""
        keys = [(rate_key, "")] + ([(rate_key, endpoint)] if endpoint and self.per_operation else [])
        with self.lock:
            now = time.monotonic()
            windows = [self.windows.setdefault(k, RateWindow(self.per_operation if k[1] else self.per_window,
                                                             self.seconds)) for k in keys]
            states = [w.state(now) for w in windows]
            allowed = all(remaining > 0 for remaining, _ in states)
            if allowed:
                for window in windows:
                    window.used += 1
            tightest = min(range(len(windows)), key=lambda i: (windows[i].limit - windows[i].used, -states[i][1]))
            window, (_, left) = windows[tightest], states[tightest]
            return allowed, {"ratelimit-limit": str(window.limit),
                             "ratelimit-remaining": str(max(window.limit - window.used, 0)),
                             "ratelimit-reset": str(max(1, int(left + 0.999)))}
