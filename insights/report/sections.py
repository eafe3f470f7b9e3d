"""One entity's section of a team page, as HTML. Written in Python rather than a template: a team page
holds thousands of them, and a Jinja macro call per link cost more than all the rest of the page. The rule
is the templates' own: every value is cleaned (`escape.clean`) and escaped (`markupsafe.escape`) by `t`
before it joins the markup, numbers are formatted as numbers, and only http(s) URLs become links
(`escape.safe_url`)."""

from __future__ import annotations

from collections import Counter

from markupsafe import escape

from insights.report.escape import clean, safe_url, url_pieces
from insights.report.steps import owners_and_platform, waiting_note

# An entity's links besides its descriptor file, with their labels, in the order shown.
SHOWN_LINKS = (("catalog.entity_url", "Backstage page"), ("pagerduty.service_url", "PagerDuty service"),
               ("pagerduty.escalation_policy_url", "escalation policy"),
               ("pagerduty.level1_schedule_url", "level-1 schedule"),
               ("pagerduty.oldest_open_incident_url", "oldest open incident"))


def t(value) -> str:
    """Any value as HTML text."""
    return str(escape(clean(value)))


def link(url, label) -> str:
    """`label` as a link to `url` when the URL is safe, else as text."""
    target = safe_url(url)
    return f'<a href="{t(target)}" rel="noopener noreferrer">{t(label)}</a>' if target else t(label)


def linkify(value, urls=()) -> str:
    """Text (a fix) with each of `urls` in it a link (`escape.url_pieces`)."""
    return "".join(link(piece, piece) if is_url else t(piece) for piece, is_url in url_pieces(clean(value), urls))


def _levels(steps: list[dict], check_href) -> list[str]:
    items = []
    for step in steps:
        now = f"{t(step['scorecard'])}: {t(step['level'] or 'no level')}"
        if step["score"] is not None:
            now += f" ({float(step['score']):g})"
        if step["next"]:
            needs = ", ".join(f'<a href="{t(check_href(c))}">{t(c)}</a>' for c in step["blocking"])
            now += f" · next, {t(step['next'])}: {needs}"
        else:
            now += " · every level reached"
        items.append(f"<li>{now}</li>")
    return ['<ul class="levels">', *items, "</ul>"] if items else []


def section(entity: dict, anchor: str, rows: list[dict], steps: list[dict], causes: list[tuple[str, list[str]]],
            links: dict[str, str], findings: list[dict], check_href) -> str:
    """The section: name, where it is defined (linked), its other links, levels and what the next one
    needs, first the causes that hold checks unknown (each once; those only the platform team can remove in
    one note), then each failing check with its fix."""
    where = entity["path"] + (f":{int(entity['line'])}" if entity.get("line") is not None else "")
    others = [link(links[key], label) for key, label in SHOWN_LINKS if safe_url(links.get(key))]
    others += [link(url, key) for key, url in sorted(links.items())
               if key not in ("catalog.file_url", *(k for k, _ in SHOWN_LINKS)) and safe_url(url)]
    html = [f'<section class="entity" id="{t(anchor)}" data-filter-text="{t(entity["ref"])}">',
            f'<h3>{t(entity["name"])} <span class="muted">{t(entity["ref"])}</span></h3>',
            f'<div class="muted">defined in {" · ".join([link(links.get("catalog.file_url"), where), *others])}</div>']
    if isinstance(entity.get("description"), str):
        html.append(f'<div class="muted description">{t(entity["description"])}</div>')
    html += _levels(steps, check_href)
    first, platform = owners_and_platform(causes)
    for reason, checks in first:
        waits = f"{len(checks)} checks wait" if len(checks) > 1 else "1 check waits"
        html.append(f'<div class="first"><span class="unknown">first</span> {t(reason)} '
                    f'<span class="muted">({waits} on it: {t(", ".join(checks))})</span></div>')
    if platform:  # not the owners' to fix: a note, not a to-do
        html.append(f'<div class="muted waiting">{t(waiting_note(platform))}</div>')
    for row in rows:
        if row["outcome"] != "fail":
            continue
        html.append(f'<div><span class="fail">fail</span> <a href="{t(check_href(row["check_id"]))}">'
                    f'{t(row["check_id"])}</a>: {t(row["reason"])}</div>')
        if row["fix"]:
            html.append(f'<div class="fix">{linkify(row["fix"], links.values())}</div>')
    for finding in findings:
        line = "–" if finding["line"] is None else int(finding["line"])
        html.append(f'<div><span class="{"fail" if finding["severity"] == "error" else "unknown"}">'
                    f'{t(finding["severity"])}</span> {t(finding["code"])} line {line}: {t(finding["message"])}</div>')
    counts = Counter(row["outcome"] for row in rows)
    html.append(f'<div class="muted">{counts["pass"]} pass, {counts["waived"]} waived, '
                f'{counts["not-applicable"]} not applicable</div></section>\n')
    return "\n".join(html)
