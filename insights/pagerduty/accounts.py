"""Several PagerDuty accounts: each collected in parallel with its own credential, budget and deadline, and
kept apart, so that each entity is judged in the account its `pagerduty.com/account` annotation names (the
annotation PagerDuty's Backstage plugin reads), or in the default account when it names none.

A snapshot of several accounts is format 2 (`state.AccountsState`); format 1, one account, is still read.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace

from insights.catalog import severity as severities
from insights.catalog.model import WARNING, Finding
from insights.errors import ConfigError, PagerDutyError
from insights.configread import did_you_mean
from insights.pagerduty.auth import OAuthCredential, TokenCredential
from insights.pagerduty.client import ClientSettings, PagerDutyClient, api_base_url
from insights.pagerduty.collect import CollectOptions, collect, wanted_from
from insights.pagerduty.state import AccountsState, PagerDutyState

ACCOUNT = "pagerduty.com/account"
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


SINGLE = "default"  # the name of the one account read when no `pagerduty.accounts` are configured


def one_account_name(config) -> str:
    """What the one account read (no `pagerduty.accounts`) is called: `pagerduty.default_account`, else
    `default`. Entities naming another account are not judged in it."""
    return config.pagerduty.default_account or SINGLE


def account_of(annotations: dict, default: str) -> str:
    value = annotations.get(ACCOUNT)
    return value.strip() if isinstance(value, str) and value.strip() else default


def account_findings(entities, config) -> list[Finding]:
    """A warning (`account-unknown`) for each entity whose `pagerduty.com/account` names an account that is not
    one of `pagerduty.accounts`: its PagerDuty facts stay unknown. Without `pagerduty.accounts`, none (the
    facts' cause says what to configure)."""
    ids = [a["id"] for a in config.pagerduty.accounts]
    findings = []
    for entity in entities if ids else ():
        named = account_of(entity.annotations, "")
        if named and named not in ids:
            line, column = entity.annotation_positions.get(ACCOUNT, (entity.line, None))
            findings.append(Finding(
                "account-unknown", WARNING, f"`{ACCOUNT}` names {named!r}, which is not one of `pagerduty.accounts` "
                f"({', '.join(ids)}){did_you_mean(named, ids)}; the entity's PagerDuty checks stay unknown",
                entity.source, entity.path, line, entity.ref, column))
    return severities.apply(findings, config.catalog.severity)


def snapshot_gaps(state, config) -> list[str]:
    """A warning for each of `pagerduty.accounts` that a snapshot of several accounts does not hold: the
    entities judged there get unknown PagerDuty facts (the snapshot was taken with another configuration)."""
    if not isinstance(state, AccountsState) or not config.pagerduty.accounts:
        return []
    held = ", ".join(sorted(state.accounts))
    return [f"the PagerDuty snapshot holds no account {account['id']!r} of `pagerduty.accounts` (it holds {held}); "
            "its entities' PagerDuty checks stay unknown. Take the snapshot again with this configuration "
            "(`insights collect`)" for account in config.pagerduty.accounts if account["id"] not in state.accounts]


def wanted_by_account(entities, default: str, options: CollectOptions) -> dict[str, CollectOptions]:
    """Per account, the services the catalog points at there, on top of `options` (which collections,
    windows)."""
    members: dict[str, list] = {}
    for entity in entities:
        members.setdefault(account_of(entity.annotations, default), []).append(entity)
    result = {}
    for account, group in members.items():
        wanted = wanted_from(group)
        result[account] = replace(options, service_ids=wanted.service_ids, integration_keys=wanted.integration_keys)
    return result


def collect_accounts(accounts: list[AccountSettings], entities, options: CollectOptions, default: str,
                     environ=os.environ, on_request=None) -> AccountsState:
    """Every account collected at once, each with its own credential and within its own budget and deadline,
    for the entities judged in it (`options` says which collections; `entities` None: every service). The first
    account that fails stops the others, and its error names it."""
    ids = [a.id for a in accounts]
    problems = [f"PagerDuty account id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"PagerDuty account id {i!r}: letters, digits, `.`, `_` and `-` only" for i in ids
                 if not ACCOUNT_ID.match(i)]
    if default not in ids:
        problems.append(f"the default PagerDuty account {default!r} is not one of the accounts ({', '.join(ids)})")
    if problems:
        raise ConfigError(problems)
    # Without a catalog (a snapshot for later runs), every service of every account.
    wanted = wanted_by_account(entities, default, options) if entities is not None else {}
    nothing = replace(options, service_ids=frozenset(), integration_keys=frozenset()) if entities is not None \
        else options
    clients = {a.id: a.client_for(a.credential(environ)) for a in accounts}
    if on_request:
        for client in clients.values():
            client.on_request = on_request
    with ThreadPoolExecutor(max_workers=len(accounts), thread_name_prefix="pagerduty-account") as pool:
        futures = {pool.submit(collect, clients[i], wanted.get(i, nothing)): i for i in ids}
        states: dict[str, PagerDutyState] = {}
        try:
            for future in as_completed(futures):
                account = futures[future]
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
    return AccountsState({i: states[i] for i in ids}, default)
