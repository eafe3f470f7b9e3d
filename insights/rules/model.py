"""Checks, their rule trees, and the outcomes an evaluation gives."""

from __future__ import annotations

from dataclasses import dataclass, field

PASS, FAIL, UNKNOWN, NOT_APPLICABLE, WAIVED = "pass", "fail", "unknown", "not-applicable", "waived"
OUTCOMES = (PASS, FAIL, UNKNOWN, NOT_APPLICABLE, WAIVED)

# applies_to keys: the catalog fact each one matches against, and whether that fact is a list. A list fact
# matches when the entity has any of the listed values; the others when the fact equals one of them
# (case-insensitive). The reader of check files and scorecards and the evaluator both read this table.
APPLIES_TO = {"kind": ("catalog.kind", False), "type": ("catalog.type", False),
              "lifecycle": ("catalog.lifecycle", False), "owner": ("catalog.owner", False),
              "system": ("catalog.system", False), "namespace": ("catalog.namespace", False),
              "tags": ("catalog.tags", True), "annotations": ("catalog.annotation_keys", True)}
APPLIES_TO_FACTS = {key: fact for key, (fact, _) in APPLIES_TO.items()}
LIST_APPLIES_TO = {key for key, (_, many) in APPLIES_TO.items() if many}


@dataclass(frozen=True)
class Condition:
    fact: str
    operator: str
    value: object = None
    value_fact: str | None = None  # `value: {fact: other.fact}` compares two facts
    where: str = ""

    def describe(self) -> str:
        target = self.value_fact or repr(self.value)
        return f"{self.fact} {self.operator} {target}"


@dataclass(frozen=True)
class Rule:
    """`all` / `any` of children, `not` of one child, or a single condition."""

    op: str
    children: tuple[Rule, ...] = ()
    condition: Condition | None = None

    def conditions(self) -> list[Condition]:
        if self.condition:
            return [self.condition]
        return [c for child in self.children for c in child.conditions()]


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    rule: Rule
    description: str = ""
    # A mapping (every key must match), or a tuple of mappings (any one of them must match).
    applies_to: dict | tuple = field(default_factory=dict)
    weight: float = 1.0
    remediation: str = ""
    links: tuple[dict, ...] = ()
    file: str = ""
    line: int = 0
    # Why the check cannot be judged at all (a required standard the account does not have, say): where it
    # applies, its outcome is unknown with this reason. Empty: judged by its rule.
    unknown: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"
