"""CI gates over a stored run: a mean score floor, checks that must pass, no new failures. Pure."""

from __future__ import annotations

from insights.report.view import RunView


def gate_failures(view: RunView, *, fail_under: float | None = None, fail_on: tuple[str, ...] = (),
                  fail_on_new_failures: bool = False) -> list[str]:
    problems = []
    if fail_under is not None and len(view.scores):
        mean = float(view.scores["score"].mean())
        if mean < fail_under:
            problems.append(f"mean score {mean:.1f} is below --fail-under {fail_under:g}")
    for check in fail_on:
        failing = view.results[(view.results["check_id"] == check) & (view.results["outcome"] == "fail")]
        if len(failing):
            names = ", ".join(failing["entity_ref"].head(5)) + (" …" if len(failing) > 5 else "")
            problems.append(f"check {check} fails for {len(failing)} entities ({names})")
    if fail_on_new_failures and view.changes["newly_failing"]:
        problems.append(f"{len(view.changes['newly_failing'])} checks newly failing since run "
                        f"{view.changes['previous_run_id']}")
    return problems
