"""The HTML report in a real headless browser (Debian's chromium): it loads without console errors,
its tables are there after the page's script ran, sorting works, a link leads from the index to a team
page and from there to PagerDuty, a screenshot can be taken, and hostile values run nothing. The load
times are printed (benchmarks/report_bench.py measures them at scale)."""

import dataclasses
import re
import shutil
import subprocess
import time


from insights.catalog.model import Catalog
from insights.catalog.refs import display_name
from insights.config import load_config
from insights.evaluation import evaluate_run
from insights.report import html, write_reports
from insights.report.view import load_view
from insights.resources import default_config
from insights.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def browse(tmp_path, *args, url):
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, url],
                          capture_output=True, text=True, timeout=120)


def html_report(tmp_path, catalog, state, now):
    """The HTML report of one stored run of `catalog` and `state`."""
    store = Store(f"sqlite:///{tmp_path / 'insights.db'}")
    store.ensure_schema()
    run_id = store.begin_run(config_hash="x", sources=["test"])
    store.save_run(run_id, evaluate_run(load_config(default_config()), catalog, state, now))
    return write_reports(store, load_view(store, run_id), tmp_path / "reports", ("html",))["html"]


def probe(tmp_path, page, script: str):
    """The DOM of a page that loads `page` in a frame and, once loaded, runs `script` with `d`, the frame's
    document, and `w`, its window; the script reports by setting the outer title."""
    (tmp_path / "probe.html").write_text(
        f'<iframe id="f" src="{page.as_uri()}" width="1200" height="800"></iframe><script>'
        'document.getElementById("f").onload = function () {'
        f' var d = this.contentDocument, w = this.contentWindow; {script} }};</script>')
    return browse(tmp_path, "--dump-dom", "--virtual-time-budget=3000", "--allow-file-access-from-files",
                  url=(tmp_path / "probe.html").as_uri())


def loaded_ms(done) -> str:
    """The load time a probed page reported (milliseconds from navigation to its load event)."""
    return re.search(r"loaded-ms:(\d+)", done.stdout)[1]


def test_html_report_in_a_real_browser(tmp_path, demo_catalog, demo_state, demo_now, need):
    need(CHROMIUM is not None, "Debian's chromium is not installed (apt-get install chromium)")
    page = html_report(tmp_path, demo_catalog, demo_state, demo_now)
    # Sort the teams table by its first column once the page has loaded, then dump the DOM.
    dom = probe(tmp_path, page, 'd.querySelector("#teams th").click();'
                ' document.title = "sorted:" + d.querySelector("#teams th").className'
                ' + " charts:" + (w.insightsChartsReady === true) + " canvases:" + d.querySelectorAll("canvas").length'
                ' + " loaded-ms:" + Math.round(w.performance.now());')
    assert "sorted:sorted-asc charts:true canvases:2" in dom.stdout, dom.stderr[-2000:]
    print(f"report.html ({page.stat().st_size:,} bytes) loaded in {loaded_ms(dom)} ms")
    # Follow the link to a team's page, then find the fix's link to PagerDuty there.
    followed = probe(tmp_path, page, 'if (!w.location.href.includes("/teams/")) {'
                     ' d.querySelector("#teams a[href$=\'teams/payments.html\']").click(); return; }'
                     ' document.title = "on:" + d.querySelector("h1").textContent + " fix-links:"'
                     ' + d.querySelectorAll(".fix a[href^=\'https://acme.pagerduty.com/\']").length'
                     ' + " loaded-ms:" + Math.round(w.performance.now());')
    assert re.search(r"on:payments fix-links:[1-9]", followed.stdout), followed.stderr[-2000:]
    print(f"html/teams/payments.html loaded in {loaded_ms(followed)} ms")
    started = time.perf_counter()
    direct = browse(tmp_path, "--dump-dom", url=page.as_uri())
    print(f"report.html dumped by a fresh headless chromium in {time.perf_counter() - started:.2f} s")
    assert 'id="teams"' in direct.stdout and 'id="checks"' in direct.stdout and "legacy-cron" in direct.stdout
    errors = [line for line in direct.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "Uncaught" in line)]
    assert errors == []
    shot = browse(tmp_path, f"--screenshot={tmp_path / 'report.png'}", "--window-size=1300,2000", url=page.as_uri())
    assert (tmp_path / "report.png").stat().st_size > 10_000, shot.stderr[-2000:]


def test_hostile_values_run_no_script_in_a_real_browser(tmp_path, demo_catalog, demo_state, demo_now, need):
    """Values that would set the page title if a browser ran them: it stays, and nothing links to javascript:."""
    need(CHROMIUM is not None, "Debian's chromium is not installed (apt-get install chromium)")
    payload = ("<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
               "<svg onload=\"document.title='pwned'\"></svg>\" onmouseover=\"document.title='pwned'\" "
               "</script><script>document.title='pwned'</script>")
    entities = [dataclasses.replace(e, description=payload, owner=f"group:default/{payload}")
                if e.name == "checkout" else e for e in demo_catalog.entities]
    services = [dict(s, name=payload, html_url="javascript:document.title='pwned'") if s["id"] == "PLEGACY" else s
                for s in demo_state.services]
    page = html_report(tmp_path, Catalog(tuple(entities), demo_catalog.findings),
                       dataclasses.replace(demo_state, services=services), demo_now)
    dom = probe(tmp_path, page, 'document.title = "inner:" + d.title + " javascript-links:"'
                ' + d.querySelectorAll("a[href^=javascript]").length + " images:" + d.querySelectorAll("img, svg").length'
                ' + " charts:" + (w.insightsChartsReady === true);')
    assert "inner:Tech Insights report: run 1 javascript-links:0 images:0 charts:true" in dom.stdout, dom.stderr[-2000:]
    assert "pwned" not in dom.stdout.split("<body")[0]
    # The values themselves are shown on the team's page and the check pages.
    team = display_name(f"group:default/{payload}")
    for other in (page.parent / html.team_page(team), page.parent / html.check_page("pagerduty-service-exists")):
        dom = probe(tmp_path, other, 'document.title = "pwned:" + (d.title === "pwned") + " javascript-links:"'
                    ' + d.querySelectorAll("a[href^=javascript]").length + " images:" + d.querySelectorAll("img, svg").length'
                    ' + " sections:" + d.querySelectorAll("section, table").length;')
        assert re.search(r"pwned:false javascript-links:0 images:0 sections:[1-9]", dom.stdout), dom.stderr[-2000:]
