"""What `insights fix` prints: text for people, JSON (`insights.fix/1`) for scripts. Pure.

Names, paths and URLs come from the catalog and PagerDuty: in text, control characters are shown escaped
so that a crafted name cannot drive the terminal.
"""

from __future__ import annotations

import json
import re

from insights.fix.job import FixOutcome
from insights.fix.matching import AMBIGUOUS, MATCH, NONE, Candidate, Suggestion
from insights.fix.plan import patches
from insights.fix.signals import LEVELS

FORMAT = "insights.fix/1"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _safe(line: str) -> str:
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                       line)


def _where(suggestion: Suggestion) -> str:
    entity = suggestion.entity
    return (f"{entity.repository}/" if entity.repository else "") + entity.location


def _candidate_lines(candidate: Candidate, mark: str) -> list[str]:
    lines = [f"  {mark} {candidate.service_name} ({candidate.service_id}): {candidate.level}, confidence "
             f"{candidate.confidence:.2f}" + (f"  {candidate.html_url}" if candidate.html_url else "")]
    for signal in candidate.signals:
        points = f"{signal.points:+.2f}" if signal.points else "caps"
        lines.append(f"      {points}  {signal.text}")
    return lines


def _suggestion_lines(suggestion: Suggestion) -> list[str]:
    account = f"  [account {suggestion.account}]" if suggestion.account else ""
    lines = [f"{suggestion.entity.ref}  ({_where(suggestion)}){account}", f"  needs: {suggestion.needs}"]
    if suggestion.status == MATCH:
        return lines + _candidate_lines(suggestion.best, "->")
    if suggestion.status == AMBIGUOUS:
        lines.append(f"  ambiguous, {suggestion.note}:")
        for candidate in suggestion.candidates:
            lines += _candidate_lines(candidate, "? ")
        if suggestion.rivals:
            lines.append(f"    as close to {suggestion.best.service_id}: {', '.join(suggestion.rivals)}")
        return lines
    return lines + [f"  no candidate: {suggestion.note}"]


def _suggestions_text(outcome: FixOutcome) -> list[str]:
    found = outcome.suggestions
    if not found.entities and not found.orphans:
        return ["Every entity that needs a PagerDuty service has one, and every service has an entity."]
    statuses = [s.status for s in found.entities]
    patchable = len(found.at_least(outcome.min_confidence))
    lines = [f"{len(found.entities)} entities need a PagerDuty service: {statuses.count(MATCH)} matched "
             f"({patchable} at confidence {outcome.min_confidence:.2f} or more), {statuses.count(AMBIGUOUS)} "
             f"ambiguous, {statuses.count(NONE)} without a candidate.", ""]
    for suggestion in found.entities:
        lines += _suggestion_lines(suggestion) + [""]
    if found.orphans:
        lines.append("PagerDuty services no entity points at:")
        for orphan in found.orphans:
            fate = {MATCH: f"suggested for {', '.join(orphan.entity_refs)}",
                    AMBIGUOUS: f"may belong to {', '.join(orphan.entity_refs)} (ambiguous)",
                    NONE: "no entity in the catalog matches; add one, or retire the service"}[orphan.status]
            account = f"[account {orphan.account}] " if orphan.account else ""
            lines.append(f"  {account}{orphan.service_name} ({orphan.service_id}): {fate}"
                         + (f"  {orphan.html_url}" if orphan.html_url else ""))
        lines.append("")
    if patchable and not outcome.plan:
        lines.append(f"Next: `insights fix --patch DIR` writes the {patchable} suggestion(s) at confidence "
                     f"{outcome.min_confidence:.2f} or more as one patch per repository; `--write` edits local files.")
    return lines


def _plan_text(outcome: FixOutcome) -> list[str]:
    plan, lines = outcome.plan, []
    for path, root in outcome.patches:
        files = [e for e in plan.files if e.root.repository == root.repository]
        where = f"git -C {root.repository} apply {path.resolve()}" if root.local else \
            f"git apply {path.resolve()} in a checkout of {root.source.label}"
        lines.append(f"wrote {path}: {len(files)} file(s), {sum(len(e.changes) for e in files)} annotation(s); "
                     f"apply it with: {where}")
        lines += [f"  {e.relative}: {c.entity.ref} {c.key}: {c.value}" for e in files for c in e.changes]
    for relative in outcome.written:
        edit = next(e for e in plan.files if e.relative == relative)
        lines.append(f"edited {edit.path}: " + "; ".join(f"{c.entity.ref} {c.key}: {c.value}" for c in edit.changes))
    if outcome.preview:
        for repository, diff in patches(plan).items():
            lines += [f"# in {repository}", diff[1].rstrip("\n")]
        lines.append("(nothing written: add --patch DIR or --write)")
    if outcome.suggestions:
        left = [s for s in outcome.suggestions.entities if s.status == AMBIGUOUS or
                (s.status == MATCH and s.best.confidence < outcome.min_confidence)]
        if left:
            lines.append(f"left out: {len(left)} suggestion(s) ambiguous or below confidence "
                         f"{outcome.min_confidence:.2f} ({', '.join(s.entity.ref for s in left)}); "
                         "`insights fix` shows their evidence")
    lines += [f"already set: {c.entity.ref} {c.key}" for c in plan.unchanged]
    lines += [f"not edited: {r.change.entity.ref}: {r.reason}" for r in plan.refused]
    lines += [f"not written: {problem}" for problem in outcome.problems]
    return lines


def render_text(outcome: FixOutcome) -> str:
    lines = (_suggestions_text(outcome) if outcome.suggestions and not outcome.plan else []) + \
        (_plan_text(outcome) if outcome.plan else [])
    return "\n".join(_safe(line) for line in lines).rstrip("\n")


def _candidate(candidate: Candidate) -> dict:
    return {"service_id": candidate.service_id, "service_name": candidate.service_name,
            "html_url": candidate.html_url, "confidence": candidate.confidence, "level": candidate.level,
            "score": candidate.score,
            "evidence": [{"signal": s.kind, "points": s.points, "text": s.text, "values": s.values}
                         for s in candidate.signals]}


def render_json(outcome: FixOutcome) -> str:
    document: dict = {"format": FORMAT, "min_confidence": outcome.min_confidence, "levels": LEVELS}
    if outcome.suggestions:
        document["entities"] = [{
            "ref": s.entity.ref, "source": s.entity.source, "repository": s.entity.repository,
            "path": s.entity.path, "line": s.entity.line, "needs": s.needs, "status": s.status, "note": s.note,
            "rivals": list(s.rivals), "candidates": [_candidate(c) for c in s.candidates], "account": s.account}
            for s in outcome.suggestions.entities]
        document["orphans"] = [{"service_id": o.service_id, "service_name": o.service_name, "html_url": o.html_url,
                                "status": o.status, "entities": list(o.entity_refs), "account": o.account}
                               for o in outcome.suggestions.orphans]
    if outcome.plan:
        plan = outcome.plan
        document["changes"] = {
            "files": [{"path": e.relative, "repository": str(e.root.repository),
                       "annotations": [{"entity": c.entity.ref, "key": c.key, "value": c.value} for c in e.changes]}
                      for e in plan.files],
            "unchanged": [{"entity": c.entity.ref, "key": c.key} for c in plan.unchanged],
            "refused": [{"entity": r.change.entity.ref, "key": r.change.key, "reason": r.reason}
                        for r in plan.refused]}
        document["patches"] = [{"file": str(path), "repository": str(root.repository), "source": root.source.label}
                               for path, root in outcome.patches]
        document["written"] = list(outcome.written)
        document["problems"] = list(outcome.problems)
        if outcome.preview:
            document["diffs"] = {str(repository): diff for repository, (_, diff) in patches(plan).items()}
    return json.dumps(document, indent=1)


def render(outcome: FixOutcome, fmt: str) -> str:
    return render_json(outcome) if fmt == "json" else render_text(outcome)

