"""A Block Kit message for a Slack-compatible incoming webhook, within Slack's documented limits: 50 blocks a
message, 150 characters of header text, 3,000 characters of section text, 10 context elements.

Untrusted text is escaped for mrkdwn as Slack asks: `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`.
Links, mentions (`<!channel>`, `<@U123>`) and dates all need a literal `<`, so catalog or PagerDuty text
can produce none of them; only links built from the configured report URL are real links.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from insights.notify.message import Failure, Notice

MAX_BLOCKS = 50
HEADER_CHARS = 150
SECTION_CHARS = 3000
SHOWN_FAILURES = 20
# The failure list as a whole: long messages are refused by Slack well before 50 full sections.
LIST_CHARS = 10_000
FIX_CHARS = 400
LINK_LABELS = {"report": "Full report", "team": "The team's to-do list"}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(mrkdwn: str, limit: int = SECTION_CHARS) -> str:
    """Cut escaped text to `limit` without leaving half an entity (`&am`) at the end."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    return re.sub(r"&[a-z]*$", "", mrkdwn[:limit - 1]) + "…"


def _link(url: str, label: str) -> str:
    # `|` ends the address in Slack's link syntax and `<>` delimit it: they are percent-encoded.
    return f"<{escape(quote(url, safe=':/?#[]@!$&()*+,;=%~'))}|{escape(label)}>"


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(mrkdwn)}}


def _title(notice: Notice) -> str:
    count = notice.newly_failing_total
    checks = f"{count} check{'s' if count != 1 else ''}"
    if notice.previous_run_id is None:
        return f"{notice.team}: {checks} failing (first run)"
    return f"{notice.team}: {checks} newly failing"


def _summary(notice: Notice) -> str:
    when = notice.started_at.replace("T", " ")[:16]
    compared = (f", compared with run {notice.previous_run_id}" if notice.previous_run_id is not None
                else ", the first in this database")
    lines = [f"*Run {notice.run_id}* ({when} UTC){compared}",
             f"{notice.entities} entities · {notice.failing} failing checks · {notice.unknown} unknown"]
    for standing in notice.standings:
        levels = " · ".join(f"{escape(name)} {count}" for name, count in standing.levels)
        score = "–" if standing.mean_score is None else f"{standing.mean_score:.1f}"
        lines.append(f"*{escape(standing.name)}*: mean score {score} · {levels}")
    return "\n".join(lines)


def _failure(failure: Failure) -> str:
    name = _link(failure.file_url, failure.entity) if failure.file_url else f"*{escape(failure.entity)}*"
    return f"• {name}: {escape(failure.check)}\n      {escape(failure.reason)}"


def _failures(notice: Notice, budget: int) -> tuple[list[dict], int]:
    """Sections listing newly failing checks, at most `budget` of them; and how many checks they show."""
    sections, current, shown, used = [], [], 0, 0
    for failure in notice.newly_failing[:SHOWN_FAILURES]:
        line = _fit(_failure(failure), SECTION_CHARS - 100)
        if used + len(line) > LIST_CHARS:
            break
        if current and len("\n".join(current + [line])) > SECTION_CHARS:
            if len(sections) + 1 >= budget:
                break
            sections.append(_section("\n".join(current)))
            current = []
        current.append(line)
        shown, used = shown + 1, used + len(line)
    if current:
        sections.append(_section("\n".join(current)))
    return sections, shown


def _top_fixes(notice: Notice) -> str:
    lines = ["*Fix first*"]
    for fix in notice.top_fixes:
        entities = f"{fix.entities} entit{'ies' if fix.entities != 1 else 'y'}"
        text = escape(fix.fix[:FIX_CHARS]).replace("\n", "\n      ")
        lines.append(f"• *{escape(fix.check)}* ({entities}), e.g. for {escape(fix.example)}:\n      {text}")
    return "\n".join(lines)


def render(notice: Notice) -> dict:
    title = _title(notice)
    head = [{"type": "header", "text": {"type": "plain_text", "text": title[:HEADER_CHARS], "emoji": False}},
            _section(_summary(notice)), {"type": "divider"}]
    tail = []
    if notice.top_fixes:
        tail.append(_section(_top_fixes(notice)))
    if notice.links:
        tail.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": _link(url, LINK_LABELS.get(key, key))} for key, url in notice.links.items()]})
    heading = "*Newly failing*" if notice.previous_run_id is not None else "*Failing*"
    # One block each for the heading and a possible "… and N more" line.
    failures, shown = _failures(notice, MAX_BLOCKS - len(head) - len(tail) - 2)
    body = [_section(heading), *failures]
    hidden = notice.newly_failing_total - shown
    if hidden:
        where = " in the report" if notice.links else " in the team file of the reports"
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"… and {hidden} more{where}"}]})
    return {"text": escape(title), "blocks": head + body + tail}
