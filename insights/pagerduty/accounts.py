"""Several PagerDuty accounts: each collected in parallel with its own credential, budget and deadline, and
kept apart, so that each entity is judged in the account its `pagerduty.com/account` annotation names (the
annotation PagerDuty's Backstage plugin reads), or in the default account when it names none.

A snapshot of several accounts is format 2 (`insights.pagerduty-snapshot/2`: the default account's id and
each account's state in format 1's shape); format 1, one account, is still read.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from insights.catalog.validate import INTEGRATION_KEY, SERVICE_ID
from insights.errors import ConfigError, PagerDutyError
from insights.pagerduty.auth import OAuthCredential, TokenCredential
from insights.pagerduty.client import ClientSettings, PagerDutyClient, api_base_url
from insights.pagerduty.collect import CollectOptions, collect
from insights.pagerduty.policies_split import named_values
from insights.pagerduty.shapes import SNAPSHOT, problem
from insights.pagerduty.state import SNAPSHOT_FORMAT, PagerDutyState, state_from_json

ACCOUNT = "pagerduty.com/account"
ACCOUNTS_FORMAT = "insights.pagerduty-snapshot/2"
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True)
class AccountSettings:
    """One account as configured: where its API is, whose credential reads it, and its own budget."""
    id: str
    url: str | None = None  # the REST API's base URL; None: the region's
    region: str = "us"
    token_env: str | None = None  # a variable holding a REST API key
    client_id_env: str | None = None  # or an OAuth app's id and secret, in variables of its own
    client_secret_env: str | None = None
    subdomain: str | None = None  # the OAuth app's account: acme for acme.pagerduty.com
    token_url: str | None = None
    client: ClientSettings = field(default_factory=ClientSettings)  # budget, concurrency, deadline, ...

    def credential(self, environ=os.environ):
        """The account's credential from its own variables; a ConfigError naming the account and the variables
        otherwise. Secrets never appear in the text."""
        if self.token_env and environ.get(self.token_env):
            return TokenCredential(environ[self.token_env], names=self.token_env)
        if self.client_id_env and self.client_secret_env:
            client_id, secret = environ.get(self.client_id_env), environ.get(self.client_secret_env)
            if client_id and secret:
                if not self.subdomain:
                    raise ConfigError(f"PagerDuty account {self.id!r}: an OAuth app also needs `subdomain`")
                return OAuthCredential(client_id, secret, self.subdomain, self.region, self.token_url,
                                       names=f"{self.client_id_env}/{self.client_secret_env}")
        wanted = " or ".join(v for v in (self.token_env, self.client_id_env and
                                         f"{self.client_id_env} and {self.client_secret_env}") if v)
        raise ConfigError(f"PagerDuty account {self.id!r}: no credential: set {wanted or 'token_env in its settings'}")

    def client_for(self, credential) -> PagerDutyClient:
        return PagerDutyClient(credential, replace(self.client, base_url=api_base_url(self.url, self.region)))


@dataclass(frozen=True)
class AccountsState:
    """What a collection of several accounts saw: each account's state by id, and the default one's id."""
    accounts: dict[str, PagerDutyState]
    default: str

    # The run's record, for code that records one account: every account's, by id.
    @property
    def api_url(self) -> str:
        return ", ".join(f"{account}: {state.api_url}" for account, state in self.accounts.items())

    @property
    def collected_at(self) -> str:
        """The oldest collection's time: what the run's data is at least as old as."""
        return min((s.collected_at for s in self.accounts.values() if s.collected_at), default="")

    @property
    def requests(self) -> dict[str, int]:
        return {f"{account} {endpoint}": n for account, state in self.accounts.items()
                for endpoint, n in state.requests.items()}

    def runs(self) -> list[dict]:
        """Each account's URL, collection time and requests: what the run records per account."""
        return [{"account": account, "api_url": state.api_url, "collected_at": state.collected_at,
                 "requests": dict(state.requests)} for account, state in self.accounts.items()]

    def to_json(self) -> dict:
        return {"format": ACCOUNTS_FORMAT, "default": self.default,
                "accounts": {account: {k: v for k, v in state.to_json().items() if k != "format"}
                             for account, state in self.accounts.items()}}


def account_of(annotations: dict, default: str) -> str:
    value = annotations.get(ACCOUNT)
    return value.strip() if isinstance(value, str) and value.strip() else default


def wanted_by_account(entities, default: str, options: CollectOptions) -> dict[str, CollectOptions]:
    """Per account, the services the catalog points at there (ids and keys, several per entity allowed), on
    top of `options` (which collections, windows). Accounts no entity names get an empty selection."""
    ids: dict[str, set[str]] = {}
    keys: dict[str, set[str]] = {}
    for entity in entities:
        account = account_of(entity.annotations, default)
        ids.setdefault(account, set()).update(named_values(entity.annotations.get(SERVICE_ID)))
        keys.setdefault(account, set()).update(named_values(entity.annotations.get(INTEGRATION_KEY)))
    return {account: replace(options, service_ids=frozenset(ids[account]), integration_keys=frozenset(keys[account]))
            for account in ids}


def collect_accounts(accounts: list[AccountSettings], wanted: dict[str, CollectOptions], default: str,
                     environ=os.environ, on_request=None) -> AccountsState:
    """Every account collected at once, each within its own budget and deadline. The first account that
    fails stops the others, and its error names it."""
    ids = [a.id for a in accounts]
    problems = [f"PagerDuty account id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"PagerDuty account id {i!r}: letters, digits, `.`, `_` and `-` only" for i in ids
                 if not ACCOUNT_ID.match(i)]
    if default not in ids:
        problems.append(f"the default PagerDuty account {default!r} is not one of the accounts ({', '.join(ids)})")
    if problems:
        raise ConfigError(problems)
    clients = {a.id: a.client_for(a.credential(environ)) for a in accounts}
    for client in clients.values():
        client.on_request = on_request or client.on_request
    states: dict[str, PagerDutyState] = {}
    with ThreadPoolExecutor(max_workers=len(accounts), thread_name_prefix="pagerduty-account") as pool:
        futures = {a.id: pool.submit(collect, clients[a.id], wanted.get(a.id) or CollectOptions(service_ids=frozenset()))
                   for a in accounts}
        try:
            for account, future in futures.items():
                try:
                    states[account] = future.result()
                except PagerDutyError as error:
                    raise PagerDutyError(f"PagerDuty account {account!r} ({clients[account].base_url}): {error}",
                                         status=error.status, endpoint=error.endpoint) from error
        except BaseException as error:
            stop = error if isinstance(error, PagerDutyError) else PagerDutyError("collection interrupted")
            for client in clients.values():
                client.stop(stop)
            raise
    return AccountsState(states, default)


def save_accounts(state: AccountsState, path: Path) -> None:
    Path(path).write_text(json.dumps(state.to_json(), indent=1, sort_keys=True))


def read_accounts(data: dict, path: Path) -> AccountsState:
    """A format-2 snapshot's content, checked as format 1 is, account by account."""
    accounts, default = data.get("accounts"), data.get("default")
    if not isinstance(accounts, dict) or not accounts or not isinstance(default, str) or default not in accounts:
        raise ConfigError(f"{path}: not a usable PagerDuty snapshot: format 2 needs `accounts` (one or more, by id) "
                          "and `default`, one of their ids")
    states = {}
    for account, content in accounts.items():
        found = problem(content, SNAPSHOT, f"accounts.{account}")
        if found:
            raise ConfigError(f"{path}: not a usable PagerDuty snapshot: {found}")
        states[account] = state_from_json(content)
    return AccountsState(states, default)


__all__ = ["ACCOUNT", "ACCOUNTS_FORMAT", "SNAPSHOT_FORMAT", "AccountSettings", "AccountsState", "account_of",
           "collect_accounts", "read_accounts", "save_accounts", "wanted_by_account"]
