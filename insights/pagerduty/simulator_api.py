"""The simulator's endpoints, as plain functions of (query, what the caller may see, path values) -> JSON body.

No HTTP here: `simulator.py` authenticates, rate-limits and checks each request against the spec first.
A caller restricted to some teams (a user token in a restricted role, a team-scoped OAuth app) sees only the
objects on those teams: lists leave the rest out, and reading one by id answers 403.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from insights.pagerduty.client import OFFSET_CAP
from insights.pagerduty.simulator_analytics import Analytics
from insights.pagerduty.simulator_log import LogEntries, shaper
from insights.pagerduty.simulator_schedules import on_call
from insights.pagerduty.spec import ApiError, invalid, moment
from insights.pagerduty.state import PagerDutyState, iso, parse_time, within

REFERENCE_TYPES = {"escalation_policies": "escalation_policy_reference", "teams": "team_reference",
                   "integrations": "integration_reference", "services": "service_reference",
                   "users": "user_reference"}
REFERENCE_KEYS = ("id", "type", "summary", "self", "html_url")
STANDARDS_IDS_MAX = 100  # "Ids of resources to apply the standards. Maximum of 100 items"


def reference(obj: dict, kind: str) -> dict:
    # An integration's reference type names its kind: events_api_v2_inbound_integration_reference.
    kind_type = f"{obj['type']}_reference" if kind == "integrations" and obj.get("type") else REFERENCE_TYPES[kind]
    return {**{k: obj[k] for k in ("id", "summary", "self", "html_url") if k in obj}, "type": kind_type}


def tag_id(label: str) -> str:
    return "PT" + hashlib.sha1(label.encode()).hexdigest()[:5].upper()


def _incident(incident: dict) -> dict:
    """An incident as the API shows it: `acknowledgements` only while acknowledged (the simulated account keeps
    them after, for its Analytics API), `resolved_at` only once resolved (the spec's schema does not let it be
    the null its description mentions)."""
    status = incident.get("status")
    shown = {k: v for k, v in incident.items() if k != "resolved_at" or status == "resolved"}
    shown["acknowledgements"] = (incident.get("acknowledgements") or []) if status == "acknowledged" else []
    return shown


def forbidden(what: str) -> ApiError:
    return ApiError(403, 2010, "Access Denied", [f"{what} is not visible to this credential"])


def not_found() -> ApiError:
    return ApiError(404, 2100, "Not Found")


@dataclass(frozen=True)
class View:
    """The part of the account one set of teams sees (all of it for None)."""
    services: list[dict]
    policies: list[dict]
    teams: list[dict]
    service_ids: frozenset[str]
    policy_ids: frozenset[str]
    schedule_ids: frozenset[str]


class Api:
    def __init__(self, state: PagerDutyState):
        self.state = state
        self.services = {s["id"]: s for s in state.services}
        self.policies = {p["id"]: p for p in state.escalation_policies}
        self.teams = {t["id"]: t for t in state.teams}
        self.views: dict[frozenset[str] | None, View] = {}
        self.lock = threading.Lock()
        self.tag_labels = sorted({label for labels in state.tags.values() for label in labels})
        # Schedules are known by the references to them; a v3 (shift-based) one by its reference type.
        self.schedules: dict[str, dict] = {s: {"id": s, "type": "schedule_reference"} for s in state.schedule_coverage}
        refs = [t for p in state.escalation_policies for r in p.get("escalation_rules", []) for t in r.get("targets", [])]
        for ref in refs + [o["schedule"] for o in state.oncalls if o.get("schedule")]:
            if (ref.get("type") or "").startswith("schedule"):
                self.schedules[ref["id"]] = ref
        self.handlers = {
            "listServices": self.list_services, "getService": self.get_service,
            "listEscalationPolicies": self.list_policies, "getEscalationPolicy": self.get_policy,
            "listOnCalls": self.list_oncalls, "listIncidents": self.list_incidents, "listTeams": self.list_teams,
            "listTags": self.list_tags, "getTagsByEntityType": self.tagged, "getEntityTypeByIdTags": self.tags_of,
            "getSchedule": self.get_schedule, "getScheduleV3": self.get_schedule_v3,
            "listResourceStandardsManyServices": self.standard_scores,
            "getAnalyticsMetricsIncidentsService": self.analytics_metrics, "getAnalyticsIncidents": self.analytics_raw,
            "listChangeEvents": self.list_changes, "listServiceChangeEvents": self.service_changes,
            "listLogEntries": self.list_log_entries,
        }
        self._analytics: Analytics | None = None
        self._log: LogEntries | None = None

    def handle(self, operation_id: str, query: dict[str, list[str]], teams: frozenset[str] | None,
               path_values: dict[str, str], body: dict | None = None) -> dict:
        if body is not None:
            return self.handlers[operation_id](body, self.view(teams))
        return self.handlers[operation_id](query, self.view(teams), **path_values)

    @property
    def analytics(self) -> Analytics:
        with self.lock:
            if self._analytics is None:
                self._analytics = Analytics(self.state.incidents, self.services, self.policies)
            return self._analytics

    @property
    def log(self) -> LogEntries:
        analytics = self.analytics
        with self.lock:
            if self._log is None:
                self._log = LogEntries(analytics.rows, self.services)
            return self._log

    def list_log_entries(self, query, view):
        entries = self.log.matching(query, view.service_ids)
        return self.page("log_entries", entries, query, shaper(
            query, _incident, lambda i: self._service(self.services[i], []), lambda t: self.teams.get(t["id"], t)))

    def analytics_metrics(self, body, view):
        return self.analytics.metrics_by_service(body, view.service_ids)

    def analytics_raw(self, body, view):
        return self.analytics.raw_incidents(body, view.service_ids)

    def view(self, teams: frozenset[str] | None) -> View:
        with self.lock:
            if teams not in self.views:
                self.views[teams] = self._view(teams)
            return self.views[teams]

    def _view(self, teams: frozenset[str] | None) -> View:
        def seen(obj):
            return teams is None or any(t.get("id") in teams for t in obj.get("teams") or [])
        services = sorted((s for s in self.state.services if seen(s)), key=lambda s: (s.get("name") or "").lower())
        policies = sorted((p for p in self.state.escalation_policies if seen(p)), key=lambda p: (p.get("name") or "").lower())
        schedules = {t["id"] for p in policies for r in p.get("escalation_rules", []) for t in r.get("targets", [])}
        return View(services, policies, [t for t in self.state.teams if teams is None or t["id"] in teams],
                    frozenset(s["id"] for s in services), frozenset(p["id"] for p in policies),
                    frozenset(self.schedules) if teams is None else frozenset(schedules & set(self.schedules)))

    @staticmethod
    def page(key: str, items: list, query: dict, shape=None) -> dict:
        limit = max(1, min(int(query.get("limit", ["25"])[0]), 100))
        offset = int(query.get("offset", ["0"])[0])
        if offset < 0:
            raise invalid("`offset` must not be negative")
        if offset + limit > OFFSET_CAP:
            raise invalid(f"Offset must be less than {OFFSET_CAP - limit + 1}.")
        chunk = [shape(x) for x in items[offset:offset + limit]] if shape else items[offset:offset + limit]
        total = len(items) if query.get("total", ["false"])[0] == "true" else None
        return {key: chunk, "limit": limit, "offset": offset, "more": offset + limit < len(items), "total": total}

    @staticmethod
    def of_teams(items: list[dict], query: dict) -> list[dict]:
        """The `team_ids[]` filter of the list endpoints."""
        if "team_ids[]" not in query:
            return items
        wanted = set(query["team_ids[]"])
        return [item for item in items if wanted & {t["id"] for t in item.get("teams", [])}]

    def _service(self, service: dict, include: list[str]) -> dict:
        shaped = dict(service)
        if "escalation_policies" not in include and service.get("escalation_policy"):
            shaped["escalation_policy"] = reference(service["escalation_policy"], "escalation_policies")
        for key in ("teams", "integrations"):
            if key not in include:
                shaped[key] = [reference(x, key) for x in service.get(key, [])]
        return shaped

    def list_services(self, query, view):
        include = query.get("include[]", [])
        services = self.of_teams(view.services, query)
        if "query" in query:
            services = [s for s in services if query["query"][0].lower() in (s.get("name") or "").lower()]
        return self.page("services", services, query, lambda s: self._service(s, include))

    @staticmethod
    def _one(objects: dict[str, dict], visible: frozenset[str], id: str, what: str) -> dict:
        """One object by id: 404 when the account has none, 403 when this caller cannot see it."""
        if id not in objects:
            raise not_found()
        if id not in visible:
            raise forbidden(f"{what} {id}")
        return objects[id]

    def get_service(self, query, view, id):
        service = self._one(self.services, view.service_ids, id, "service")
        return {"service": self._service(service, query.get("include[]", []))}

    @staticmethod
    def _policy(policy: dict, include: list[str]) -> dict:
        if "targets" in include:
            return policy
        rules = [{**r, "targets": [{k: t[k] for k in REFERENCE_KEYS if k in t} for t in r.get("targets", [])]}
                 for r in policy.get("escalation_rules", [])]
        return {**policy, "escalation_rules": rules}

    def list_policies(self, query, view):
        include = query.get("include[]", [])
        policies = self.of_teams(view.policies, query)
        return self.page("escalation_policies", policies, query, lambda p: self._policy(p, include))

    def get_policy(self, query, view, id):
        policy = self._one(self.policies, view.policy_ids, id, "escalation policy")
        return {"escalation_policy": self._policy(policy, query.get("include[]", []))}

    def list_oncalls(self, query, view):
        now = datetime.now(timezone.utc)
        since = moment(query.get("since", [None])[0]) or now
        until = moment(query.get("until", [None])[0]) or now
        filters = [(key, set(query[f"{key}_ids[]"])) for key in ("escalation_policy", "schedule", "user")
                   if f"{key}_ids[]" in query]
        oncalls = [o for o in self.state.oncalls if o["escalation_policy"]["id"] in view.policy_ids
                   and all((o.get(key) or {}).get("id") in wanted for key, wanted in filters)
                   and (within(o.get("start"), o.get("end"), since) or within(o.get("start"), o.get("end"), until))]
        return self.page("oncalls", oncalls, query)

    def list_incidents(self, query, view):
        statuses = set(query.get("statuses[]", [])) or {"triggered", "acknowledged", "resolved"}
        services = set(query.get("service_ids[]", [])) or view.service_ids
        incidents = [i for i in self.state.incidents if i.get("status") in statuses
                     and i["service"]["id"] in services and i["service"]["id"] in view.service_ids]
        if query.get("date_range", [""])[0] != "all":
            # The API's default window is the last month: older incidents are left out unless asked for.
            since = moment(query.get("since", [None])[0]) or datetime.now(timezone.utc) - timedelta(days=30)
            until = moment(query.get("until", [None])[0])
            incidents = [i for i in incidents if parse_time(i["created_at"]) >= since
                         and (until is None or parse_time(i["created_at"]) < until)]
        if "urgencies[]" in query:
            incidents = [i for i in incidents if i.get("urgency") in query["urgencies[]"]]
        return self.page("incidents", incidents, query, _incident)

    def _changes(self, query, view, services: frozenset[str]) -> dict:
        """Change events of these services, newest first, in the `since`/`until` range (UTC only, as documented)
        and of the `team_ids[]` and `integration_ids[]` asked for."""
        since, until = (query.get(key, [None])[0] for key in ("since", "until"))
        for text in (t for t in (since, until) if t):
            if moment(text).utcoffset():
                raise invalid(f"{text!r} is not a UTC time: since and until take UTC ISO 8601 times (...Z)")
        teams = set(query.get("team_ids[]", []))
        integrations = set(query.get("integration_ids[]", []))
        events = [e for e in self.state.change_events
                  if (not since or parse_time(e["timestamp"]) >= moment(since))
                  and (not until or parse_time(e["timestamp"]) < moment(until))
                  and (not integrations or (e.get("integration") or {}).get("id") in integrations)
                  and any(ref["id"] in services and (not teams or teams & {t["id"] for t in self.services[ref["id"]]
                                                                         .get("teams", [])})
                          for ref in e.get("services", []) if ref["id"] in self.services)]
        return self.page("change_events", sorted(events, key=lambda e: parse_time(e["timestamp"]), reverse=True), query)

    def list_changes(self, query, view):
        return self._changes(query, view, view.service_ids)

    def service_changes(self, query, view, id):
        self._one(self.services, view.service_ids, id, "service")
        return self._changes(query, view, frozenset({id}))

    def list_teams(self, query, view):
        teams = view.teams
        if "query" in query:
            teams = [t for t in teams if query["query"][0].lower() in (t.get("name") or "").lower()]
        return self.page("teams", teams, query)

    def _schedule(self, id: str, view: View, kind: str) -> dict:
        ref = self._one(self.schedules, view.schedule_ids, id, "schedule")
        if (ref.get("type") == "schedule_v3_reference") != (kind == "schedule_v3"):
            if kind == "schedule_v3":  # the v3 API refuses a layer-based schedule's id
                raise invalid(f"schedule {id} is a layer-based schedule: read it with GET /schedules/{{id}}")
            raise not_found()  # the v2 API does not know shift-based schedules
        name = ref.get("summary") or id
        return {"id": id, "type": kind, "name": name, "time_zone": "UTC",
                **{k: ref[k] for k in ("self", "html_url") if k in ref},
                "escalation_policies": [reference(p, "escalation_policies") for p in view.policies
                                        if any(t.get("id") == id for r in p.get("escalation_rules", [])
                                               for t in r.get("targets", []))]}

    @staticmethod
    def _range(query) -> tuple[datetime, datetime]:
        """The asked range; one end alone reaches a week from the other, as a rendered schedule does."""
        since, until = moment(query.get("since", [None])[0]), moment(query.get("until", [None])[0])
        since = since or (until - timedelta(days=7) if until else datetime.now(timezone.utc))
        return since, max(since, until or since + timedelta(days=7))

    def _user_on(self, schedule_id: str) -> dict | None:
        return next((o["user"] for o in self.state.oncalls if (o.get("schedule") or {}).get("id") == schedule_id
                     and o.get("user")), None)

    def get_schedule(self, query, view, id):
        """A layer-based schedule; its final layer's coverage of the asked range (the state's 7-day figure)
        is null unless `since` or `until` is given, as the API documents."""
        schedule = self._schedule(id, view, "schedule")
        final = {"name": "Final Schedule", "rendered_schedule_entries": [], "rendered_coverage_percentage": None}
        if "since" in query or "until" in query:
            coverage, spans = on_call(self.state, id, *self._range(query))
            user = self._user_on(id)
            final.update(rendered_coverage_percentage=coverage, rendered_schedule_entries=[
                {"start": iso(a), "end": iso(b), **({"user": user} if user else {})} for a, b in spans])
        return {"schedule": {**schedule, "summary": schedule["name"], "schedule_layers": [],
                             "final_schedule": final}}

    def get_schedule_v3(self, query, view, id):
        """A shift-based schedule; `final_schedule` only with `include[]=final_schedule` and a time range."""
        schedule = self._schedule(id, view, "schedule_v3")
        if "final_schedule" in query.get("include[]", []) and "since" in query and "until" in query:
            coverage, spans = on_call(self.state, id, *self._range(query))
            member = {"type": "user_member", "user_id": (self._user_on(id) or {}).get("id", "PUNKNWN")}
            schedule["final_schedule"] = {"type": "final_schedule", "rendered_coverage_percentage": coverage,
                                          "computed_shift_assignments": [
                                              {"type": "computed_shift_assignment", "start_time": iso(a),
                                               "end_time": iso(b), "member": member,
                                               "source": {"type": "schedule_rotation"}} for a, b in spans]}
        return {"schedule": schedule}

    def standard_scores(self, query, view, resource_type):
        ids = query.get("ids", [])
        if len(ids) > STANDARDS_IDS_MAX:
            raise invalid(f"`ids`: at most {STANDARDS_IDS_MAX} items")
        resources = []
        for i in (i for i in ids if i in view.service_ids):
            known = self.state.standards.get(i, {"passing": 0, "total": 0})
            applied = [{"description": s.get("name", ""), **s} for s in known.get("standards", [])]
            resources.append({"resource_id": i, "resource_type": "technical_service", "standards": applied,
                              "score": {"passing": known.get("passing", 0), "total": known.get("total", 0)}})
        return {"resources": resources}

    def list_tags(self, query, view):
        tags = [{"id": tag_id(label), "type": "tag", "label": label, "summary": label} for label in self.tag_labels]
        if "query" in query:
            tags = [t for t in tags if query["query"][0].lower() in t["label"].lower()]
        return self.page("tags", tags, query)

    @staticmethod
    def _visible(entity_type: str, id: str, view: View) -> bool:
        if entity_type == "teams":
            return any(t["id"] == id for t in view.teams)
        return entity_type != "escalation_policies" or id in view.policy_ids  # users carry no teams here

    def tagged(self, query, view, id, entity_type):
        refs = [{"id": key.split("/", 1)[1], "type": REFERENCE_TYPES[entity_type]}
                for key, labels in self.state.tags.items()
                if key.startswith(entity_type + "/") and any(tag_id(label) == id for label in labels)
                and self._visible(entity_type, key.split("/", 1)[1], view)]
        return self.page(entity_type, refs, query)

    def tags_of(self, query, view, entity_type, id):
        known = {"teams": self.teams, "escalation_policies": self.policies}.get(entity_type)
        if known is not None and id in known and not self._visible(entity_type, id, view):
            raise forbidden(f"{entity_type} {id}")
        labels = self.state.tags.get(f"{entity_type}/{id}", [])
        return self.page("tags", [{"id": tag_id(l), "type": "tag", "label": l, "summary": l} for l in labels], query)
