"""checks/*.yaml -> Check records. Every error of a file is collected and reported with file:line:col."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from insights.errors import ConfigError
from insights.facts.registry import FACTS
from insights.rules.model import APPLIES_TO_FACTS, OPERATORS, Check, Condition, Rule
from insights.yamlio import load_one

CHECK_KEYS = {"id", "name", "description", "rule", "applies_to", "weight", "remediation", "links"}
NUMERIC = {"integer", "number"}
ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


class CheckReader:
    def __init__(self, path: str):
        self.path, self.problems = path, []

    def at(self, node, key=None) -> str:
        """file:line:column of a key (or of the mapping itself), counted from 1."""
        if key is not None and key in getattr(node, "key_lines", {}):
            line, column = node.key_lines[key], node.key_columns[key]
        else:
            line, column = getattr(node, "line", 0), getattr(node, "column", 0)
        return f"{self.path}:{line}" + (f":{column}" if column else "")

    def problem(self, node, message, key=None):
        self.problems.append(f"{self.at(node, key)}: {message}")

    def check(self, node) -> Check | None:
        if not isinstance(node, dict):
            self.problem(node, "each check must be a mapping with id, name and rule")
            return None
        for key in node:
            if key not in CHECK_KEYS:
                self.problem(node, f"unknown key {key!r}{did_you_mean(str(key), CHECK_KEYS)}", key)
        check_id, name = node.get("id"), node.get("name")
        if not isinstance(check_id, str) or not ID.match(check_id):
            self.problem(node, "`id` is required: lower-case letters, digits and `-`", "id")
            return None
        if not isinstance(name, str) or not name.strip():
            self.problem(node, f"check {check_id}: `name` is required", "name")
        weight = node.get("weight", 1)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            self.problem(node, f"check {check_id}: `weight` must be a number >= 0", "weight")
            weight = 1
        if "rule" not in node:
            self.problem(node, f"check {check_id}: `rule` is required")
            return None
        rule = self.rule(node["rule"], node, "rule")
        applies_to = self.applies_to(node)
        links = node.get("links") or []
        if rule is None:
            return None
        return Check(id=check_id, name=str(name or check_id), rule=rule, description=str(node.get("description") or ""),
                     applies_to=applies_to, weight=float(weight), remediation=str(node.get("remediation") or ""),
                     links=tuple(dict(l) if isinstance(l, dict) else {"url": str(l)} for l in links),
                     file=self.path, line=getattr(node, "line", 0))

    def applies_to(self, node) -> dict | tuple:
        """`applies_to`: a mapping whose keys must all match, or a list of such mappings of which one must."""
        value = node.get("applies_to") or {}
        alternatives = value if isinstance(value, list) else [value]
        if not alternatives or not all(isinstance(a, dict) for a in alternatives):
            self.problem(node, "`applies_to` must be a mapping such as {kind: component, type: service}, or a "
                         "list of such mappings (any one of them matches)", "applies_to")
            return {}
        for alternative in alternatives:
            for key in alternative:
                if key not in APPLIES_TO_FACTS:
                    self.problem(alternative, f"unknown applies_to key {key!r}"
                                 f"{did_you_mean(str(key), APPLIES_TO_FACTS)}", key)
        return dict(value) if isinstance(value, dict) else tuple(dict(a) for a in alternatives)

    def rule(self, node, parent, key) -> Rule | None:
        if not isinstance(node, dict):
            self.problem(parent, "a rule is a mapping: `all:`, `any:`, `not:` or a condition {fact, operator, value}", key)
            return None
        groups = [k for k in ("all", "any", "not") if k in node]
        if len(groups) > 1 or (groups and "fact" in node):
            self.problem(node, "a rule holds exactly one of `all`, `any`, `not` or a condition")
            return None
        if groups in (["all"], ["any"]):
            items = node[groups[0]]
            if not isinstance(items, list) or not items:
                self.problem(node, f"`{groups[0]}` takes a non-empty list of rules", groups[0])
                return None
            children = [self.rule(item, node, groups[0]) for item in items]
            return Rule(groups[0], tuple(children)) if all(children) else None
        if groups == ["not"]:
            child = self.rule(node["not"], node, "not")
            return Rule("not", (child,)) if child else None
        condition = self.condition(node)
        return Rule("condition", condition=condition) if condition else None

    def condition(self, node) -> Condition | None:
        fact, operator, value = node.get("fact"), node.get("operator"), node.get("value")
        ok = True
        if fact not in FACTS:
            self.problem(node, f"unknown fact {fact!r}{did_you_mean(str(fact), FACTS)}", "fact")
            ok = False
        if operator not in OPERATORS:
            self.problem(node, f"unknown operator {operator!r}{did_you_mean(str(operator), OPERATORS)}", "operator")
            ok = False
        value_fact = None
        if isinstance(value, dict) and "fact" in value:
            value_fact = value["fact"]
            if value_fact not in FACTS:
                self.problem(node, f"unknown fact {value_fact!r}{did_you_mean(str(value_fact), FACTS)}", "value")
                ok = False
        elif ok:
            ok = self.value_fits(node, FACTS[fact].type, operator, value)
        if not ok:
            return None
        return Condition(fact, operator, value, value_fact, self.at(node))

    def value_fits(self, node, fact_type, operator, value) -> bool:
        message = None
        if operator == "exists" and not isinstance(value, bool):
            message = "`exists` takes `value: true` or `value: false`"
        elif operator == "matches":
            try:
                re.compile(str(value))
            except re.error as error:
                message = f"bad regular expression {value!r}: {error}"
        elif operator in ("in", "notIn") and not isinstance(value, list):
            message = f"`{operator}` takes a list of values"
        elif operator in ("lessThan", "lessThanInclusive", "greaterThan", "greaterThanInclusive"):
            if fact_type not in NUMERIC:
                message = f"`{operator}` compares numbers, but {node.get('fact')} is a {fact_type} fact"
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                message = f"`{operator}` compares numbers; value {value!r} is not a number"
        elif operator in ("equal", "notEqual") and fact_type == "boolean" and not isinstance(value, bool):
            message = f"{node.get('fact')} is true or false; value {value!r} is neither"
        elif operator in ("equal", "notEqual") and fact_type in NUMERIC and (
                not isinstance(value, (int, float)) or isinstance(value, bool)):
            message = f"{node.get('fact')} is a number; value {value!r} is not one"
        elif operator in ("contains", "doesNotContain") and fact_type not in ("list", "string"):
            message = f"`{operator}` needs a list or string fact; this fact is a {fact_type}"
        if message:
            self.problem(node, message, "value" if "value" in node else None)
        return message is None


def load_checks(paths: list[Path]) -> list[Check]:
    """Every check in the given files or folders (`*.yaml` inside). Raises ConfigError listing all problems."""
    files = sorted(p for path in paths for p in ([path] if path.is_file() else sorted(path.glob("*.y*ml"))))
    problems: list[str] = []
    checks: list[Check] = []
    for file in files:
        try:
            data = load_one(file.read_text(), path=str(file))
        except ConfigError as error:
            problems += error.problems
            continue
        reader = CheckReader(str(file))
        items = data.get("checks") if isinstance(data, dict) else data
        if not isinstance(items, list):
            problems.append(f"{file}:1: expected a list of checks (or `checks:` holding one)")
            continue
        checks += [c for c in (reader.check(item) for item in items) if c]
        problems += reader.problems
    seen: dict[str, Check] = {}
    for check in checks:
        if check.id in seen:
            problems.append(f"{check.where}: duplicate check id {check.id!r}, first defined at {seen[check.id].where}")
        seen.setdefault(check.id, check)
    if problems:
        raise ConfigError(problems)
    return checks
