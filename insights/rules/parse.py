"""checks/*.yaml -> Check records. Every problem of every file is collected and reported with file:line:column.

A check with a problem is left out of the result but its id stays known, so that scorecards and gates
naming it are not reported as well: one mistake gives one message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from insights.configread import PROSE, Invalid, Kind, Reader, did_you_mean, list_of, load_yaml, number, shown, text, \
    to_number, url, written
from insights.errors import ConfigError
from insights.facts.registry import FACTS
from insights.rules.model import APPLIES_TO_FACTS, Check, Condition, Rule
from insights.rules.operators import NUMERIC, OPERATORS, as_float, compile_pattern, value_type, with_article
from insights.yamlio import read_file

__all__ = ["CheckSet", "applies_to", "did_you_mean", "load_checks", "read_checks"]

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CHECK_ID = text(ID, "an id of lower-case letters, digits and `-`", "for example escalation-two-levels")
WEIGHT = number(0, 1_000_000)
LINK_URL = url("http", "https")
CHECK_FIELDS = {"id", "name", "description", "rule", "applies_to", "weight", "remediation", "links"}
CONDITION_KEYS = ("fact", "operator", "value")


@dataclass
class CheckSet:
    checks: list[Check] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # id -> where, for every check, also one with a problem
    problems: list[str] = field(default_factory=list)


def _applies_values(value) -> str | list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise Invalid("a text or a non-empty list of texts", "for example {kind: component, type: [service, website]}")
    return value


APPLIES_VALUES = Kind("a text or a non-empty list of texts", _applies_values)


def applies_to(reader: Reader, node) -> dict | tuple:
    """`applies_to`: a mapping whose keys must all match, or a list of such mappings of which one must."""
    value = node.get("applies_to")
    if value is None:
        return {}
    alternatives = value if isinstance(value, list) else [value]
    if not alternatives or not all(isinstance(a, dict) for a in alternatives):
        reader.problem(node, "`applies_to` must be a mapping such as {kind: component, type: service}, or a "
                       "list of such mappings (any one of them matches)", "applies_to")
        return {}
    read = []
    for alternative in alternatives:
        reader.known_keys(alternative, APPLIES_TO_FACTS, "applies_to.")
        read.append({key: reader.value(alternative, key, APPLIES_VALUES, None, f"applies_to.{key}")
                     for key in alternative if key in APPLIES_TO_FACTS})
    return read[0] if isinstance(value, dict) else tuple(read)


def _link(value):
    if isinstance(value, str):
        return {"url": LINK_URL.read(value)}
    if not isinstance(value, dict) or set(value) - {"url", "title"} or "url" not in value:
        raise Invalid("a URL, or a mapping with `url` and `title`")
    title = value.get("title")
    if title is not None and not isinstance(title, str):
        raise Invalid("a URL, or a mapping with `url` and `title`", "the title is a text")
    return {"url": LINK_URL.read(value["url"]), **({"title": title} if title is not None else {})}


LINKS = list_of(Kind("a URL, or a mapping with `url` and `title`", _link), "a list of links")


def _python_pattern(pattern: str) -> bool:
    try:
        re.compile(pattern)
        return True
    except (re.error, RecursionError, OverflowError):
        return False


class CheckReader(Reader):
    def check(self, node, ids: dict[str, str], number: int = 1) -> Check | None:
        if not isinstance(node, dict):  # a plain list item has no recorded line: say which item it is
            self.problems.append(f"{self.path}: check number {number} must be a mapping with id, name and rule, "
                                 f"not {shown(node)}")
            return None
        self.known_keys(node, CHECK_FIELDS)
        check_id = self.value(node, "id", CHECK_ID)
        before = len(self.problems)
        if check_id is not None:
            if check_id in ids:
                self.problem(node, f"duplicate check id {check_id!r}, first defined at {ids[check_id]}", "id")
            ids.setdefault(check_id, self.at(node, "id"))
        # a missing or broken id is already a problem: the rest of the check is still looked at
        owner = f"check {check_id}: " if check_id is not None else f"check number {number}: "
        name = self.value(node, "name", text(what="a name"), owner=owner) or check_id
        weight = self.value(node, "weight", WEIGHT, 1.0, owner=owner)
        description = self.value(node, "description", PROSE, "", owner=owner)
        remediation = self.value(node, "remediation", PROSE, "", owner=owner)
        links = self.value(node, "links", LINKS, (), owner=owner)
        where = applies_to(self, node)
        rule = self.rule(node["rule"], node, "rule") if "rule" in node else None
        if "rule" not in node:
            self.problem(node, f"{owner}`rule` is required")
        if check_id is None or rule is None or len(self.problems) > before:
            return None
        return Check(id=check_id, name=name, rule=rule, description=description, applies_to=where,
                     weight=float(weight), remediation=remediation, links=links, file=self.path,
                     line=getattr(node, "line", 0))

    def rule(self, node, parent, key) -> Rule | None:
        if not isinstance(node, dict):
            self.problem(parent, "a rule is a mapping: `all:`, `any:`, `not:` or a condition {fact, operator, "
                         f"value}}, not {shown(node)}", key)
            return None
        groups = [k for k in ("all", "any", "not") if k in node]
        if len(groups) > 1 or (groups and "fact" in node):
            self.problem(node, "a rule holds exactly one of `all`, `any`, `not` or a condition")
            return None
        if not groups:
            return self.condition(node)
        self.known_keys(node, groups)
        if groups == ["not"]:
            child = self.rule(node["not"], node, "not")
            return Rule("not", (child,)) if child else None
        items = node[groups[0]]
        if not isinstance(items, list) or not items:
            self.problem(node, f"`{groups[0]}` takes a non-empty list of rules, not {shown(items)}", groups[0])
            return None
        children = [self.rule(item, node, groups[0]) for item in items]
        return Rule(groups[0], tuple(children)) if all(children) else None

    def condition(self, node) -> Rule | None:
        self.known_keys(node, CONDITION_KEYS)
        before = len(self.problems)
        fact, operator = node.get("fact"), node.get("operator")
        # a misspelt key was just reported with its correction: its absence is not a second problem
        misspelt = {k for key in node if key not in CONDITION_KEYS for k in CONDITION_KEYS
                    if f"'{k}'" in did_you_mean(str(key), CONDITION_KEYS)}
        for key, known in (("fact", FACTS), ("operator", OPERATORS)):
            word = node.get(key)
            if key not in node and key not in misspelt:
                self.problem(node, f"a condition needs `{key}` (a condition is {{fact, operator, value}})")
            elif key in node and (not isinstance(word, str) or word not in known):
                self.problem(node, f"unknown {key} {shown(word)}{did_you_mean(str(word), known)}", key)
        if "value" not in node and "value" not in misspelt:
            self.problem(node, "a condition needs `value`" + (" (true or false)" if operator == "exists" else ""))
        if len(self.problems) > before or not all(key in node for key in CONDITION_KEYS):
            return None
        value, value_fact = node["value"], None
        if isinstance(value, dict):
            value_fact = self.value_fact(node)
            if value_fact is None:
                return None
            value = None
        elif FACTS[fact].type in NUMERIC and to_number(value) is not None and isinstance(value, str):
            value = to_number(value)  # a YAML 1.2 number such as 1e3, which PyYAML reads as text
        if not self.value_fits(node, fact, operator, value, value_fact):
            return None
        return Rule("condition", condition=Condition(fact, operator, value, value_fact, self.at(node)))

    def value_fact(self, node) -> str | None:
        value = node["value"]
        other = value.get("fact")
        if set(value) != {"fact"}:
            self.problem(node, "a value that is a mapping names another fact: `value: {fact: other.fact}`", "value")
        elif not isinstance(other, str) or other not in FACTS:
            self.problem(value, f"unknown fact {shown(other)}{did_you_mean(str(other), FACTS)}", "fact")
        elif node["operator"] == "exists":
            self.problem(node, "`exists` takes `value: true` or `value: false`, not another fact", "value")
        else:
            return other
        return None

    def value_fits(self, node, fact, operator, value, value_fact) -> bool:
        fact_type = FACTS[fact].type
        kind = FACTS[value_fact].type if value_fact else value_type(value)
        wrong = OPERATORS[operator].check(fact_type, kind)
        if wrong:
            what = f" ({value_fact} is {with_article(kind)} fact)" if value_fact else f": {shown(value)}"
            wrong = f"`{operator}` {wrong}{what}"
        elif value_fact:
            pass
        elif kind == "number" and not math.isfinite(as_float(value)):
            wrong = f"value {written(node, 'value')} is not a finite number"
        elif operator in ("in", "notIn"):
            odd = [item for item in value if OPERATORS["equal"].check(fact_type, value_type(item)) or (
                value_type(item) == "number" and not math.isfinite(as_float(item)))]
            wrong = odd and f"{fact} is a {fact_type}; {shown(odd[0])} in the list is not"
        elif operator == "matches":
            try:
                compile_pattern(value)
            except ValueError as error:
                why = " (RE2 runs in linear time: it has no backreferences or lookaround)"
                wrong = f"{shown(value)} is not a regular expression RE2 can run: {error}" + (
                    why if _python_pattern(value) else "")
        if wrong:
            self.problem(node, wrong, "value")
        return not wrong


def read_checks(paths: list[Path]) -> CheckSet:
    """Every check in the given files or folders (`*.yaml` inside), with every problem found."""
    files = sorted(p for path in paths for p in ([path] if path.is_file() else sorted(path.glob("*.y*ml"))))
    found = CheckSet()
    for file in files:
        try:
            duplicates: list[str] = []
            data = load_yaml(read_file(file, "check file"), path=str(file), duplicates=duplicates)
            found.problems += duplicates
        except ConfigError as error:
            found.problems += error.problems
            continue
        reader = CheckReader(str(file))
        items = data.get("checks") if isinstance(data, dict) and set(data) == {"checks"} else data
        if not isinstance(items, list):
            found.problems.append(f"{file}:1:1: expected a list of checks (or `checks:` holding one)")
            continue
        found.checks += [c for c in (reader.check(item, found.ids, n) for n, item in enumerate(items, 1)) if c]
        found.problems += reader.problems
    return found


def load_checks(paths: list[Path]) -> list[Check]:
    """Every check in the given files or folders. Raises ConfigError listing all problems."""
    found = read_checks(paths)
    if found.problems:
        raise ConfigError(found.problems)
    return found.checks
