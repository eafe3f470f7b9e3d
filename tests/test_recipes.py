"""The scheduling recipes in examples/ci: each passes its platform's linter or schema, and keeps the
structure that makes history survive from one night to the next.

- GitHub Actions: actionlint (with shellcheck for `run:` steps) and the workflow JSON schema, for the nightly
  run and for the pull-request lint, whose steps are also run as GitHub runs them, in a real repository;
- GitLab CI: GitLab's CI JSON schema (as vendored by check-jsonschema);
- Kubernetes: the Kubernetes API's own schemas, strict (kubernetes-validate), on the oldest and newest
  version the manifest supports;
- the cron wrapper: shellcheck.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.conftest import imported

RECIPES = Path(__file__).resolve().parent.parent / "examples" / "ci"
GITHUB = RECIPES / "github-actions.yml"
GITHUB_LINT = RECIPES / "github-catalog-lint.yml"
GITLAB = RECIPES / "gitlab-ci.yml"
KUBERNETES = RECIPES / "kubernetes-cronjob.yaml"
CRON = RECIPES / "insights-cron.sh"
SHARDED_GITHUB = RECIPES / "github-actions-sharded.yml"
SHARDED_KUBERNETES = RECIPES / "kubernetes-sharded.yaml"


def tool(name: str, need) -> str:
    """A linter installed with the test extra, found beside the running Python first."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    need(found is not None, f"{name} is not installed (pip install -e '.[test]')")
    return found


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


# --- GitHub Actions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", [GITHUB, GITHUB_LINT], ids=lambda p: p.name)
def test_github_workflow_passes_actionlint_and_shellcheck(need, workflow):
    shellcheck = tool("shellcheck", need)
    result = subprocess.run([tool("actionlint", need), "-no-color", "-pyflakes=", f"-shellcheck={shellcheck}",
                             str(workflow)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.parametrize("workflow", [GITHUB, GITHUB_LINT], ids=lambda p: p.name)
def test_github_workflow_matches_the_workflow_schema(workflow):
    result = check_schema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_carries_history_between_nights_even_when_the_gate_trips():
    workflow = yaml.safe_load(GITHUB.read_text())
    job = workflow["jobs"]["scorecards"]
    assert "services" not in job  # a service container's database dies with the job
    assert workflow["concurrency"]["cancel-in-progress"] is False
    steps = job["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    restore, save = steps[uses.index("actions/cache/restore")], steps[uses.index("actions/cache/save")]
    run = next(i for i, step in enumerate(steps) if "insights run" in step.get("run", ""))
    assert uses.index("actions/cache/restore") < run < uses.index("actions/cache/save")
    assert "--fail-on-new-failures" in steps[run]["run"]
    # Cache entries are immutable: a key per run, restored by prefix, saved whatever the run's outcome.
    assert "github.run_id" in save["with"]["key"] and save["with"]["key"] == restore["with"]["key"]
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert save["if"].startswith("always()")
    assert save["with"]["path"] == restore["with"]["path"]
    database = job["env"]["INSIGHTS_DB_URL"]
    assert "secrets.INSIGHTS_DB_URL" in database and f"sqlite:///{save['with']['path']}" in database
    assert "secrets.PAGERDUTY_TOKEN" in job["env"]["PAGERDUTY_TOKEN"]


def test_pull_request_lint_runs_only_for_descriptors_and_uploads_what_it_wrote():
    workflow = yaml.load(GITHUB_LINT.read_text(), Loader=yaml.BaseLoader)  # `on` stays a key, not True
    paths = workflow["on"]["pull_request"]["paths"]
    assert "**/catalog-info.yaml" in paths and "**/catalog-info.yml" in paths
    assert workflow["permissions"] == {"contents": "read", "security-events": "write"}
    steps = workflow["jobs"]["lint"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "pip install insights-scorecards" in runs
    github = next(r for r in runs if "--format github" in r)
    sarif = next(i for i, r in enumerate(runs) if "--format sarif" in r)
    upload = next(i for i, step in enumerate(steps)
                  if step.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert github.startswith("insights catalog lint") and sarif < upload
    assert steps[sarif]["if"] == "always()" and steps[upload]["if"].startswith("always()")
    assert steps[upload]["with"]["sarif_file"] in runs[sarif]


def test_pull_request_lint_steps_run_as_github_runs_them(tmp_path):
    """The recipe's own `run:` lines in bash as Actions runs them (-e, pipefail), in a repository with a bad
    descriptor: the github step fails with an annotation on the line; the SARIF step succeeds with a file."""
    steps = yaml.load(GITHUB_LINT.read_text(), Loader=yaml.BaseLoader)["jobs"]["lint"]["steps"]
    runs = [step["run"] for step in steps if step.get("run", "").startswith("insights ")]
    service = tmp_path / "services" / "checkout"
    service.mkdir(parents=True)
    (service / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  annotations:\n"
        "    pagerduty.com/service-id: p12345\nspec: {type: service, lifecycle: production, owner: payments}\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def step(script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=tmp_path,
                              env=environment, capture_output=True, text=True, timeout=120)

    github, sarif = step(runs[0]), step(runs[1])
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=services/checkout/catalog-info.yaml,line=6,title=annotation-"
                                    "malformed::")
    assert sarif.returncode == 0, sarif.stderr
    document = json.loads((tmp_path / "insights.sarif").read_text())
    assert document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 6


# --- GitLab CI -------------------------------------------------------------------------------------------


def test_gitlab_job_matches_gitlabs_ci_schema():
    result = check_schema("vendor.gitlab-ci", GITLAB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_job_saves_its_cache_when_the_gate_trips():
    job = yaml.safe_load(GITLAB.read_text())["insights"]
    assert job["cache"]["when"] == "always"
    database = job["variables"]["INSIGHTS_DB_URL"].removeprefix("sqlite:///")
    assert job["cache"]["paths"] == [database]
    assert job["resource_group"]  # one run at a time
    assert any("--fail-on-new-failures" in line for line in job["script"])
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert "PAGERDUTY_TOKEN" not in job["variables"]  # a masked CI/CD variable, never in the file


# --- Kubernetes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("manifest", [KUBERNETES, SHARDED_KUBERNETES], ids=lambda path: path.name)
@pytest.mark.parametrize("version", ["1.31.0", "1.37.0"])
def test_kubernetes_manifest_matches_the_api_schemas(version, manifest):
    kubernetes_validate = imported("kubernetes_validate")
    documents = list(yaml.safe_load_all(manifest.read_text()))
    assert [d["kind"] for d in documents] == ["PersistentVolumeClaim", "CronJob"]
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)  # raises ValidationError


def test_kubernetes_manifest_rejected_when_broken():
    """The schema check can fail: a mistyped field is refused."""
    kubernetes_validate = imported("kubernetes_validate")
    cronjob = list(yaml.safe_load_all(KUBERNETES.read_text()))[1]
    cronjob["spec"]["jobTemplate"]["spec"]["backofLimit"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, "1.37.0", strict=True)


def test_kubernetes_cronjob_never_overlaps_reads_secrets_and_keeps_history():
    claim, cronjob = yaml.safe_load_all(KUBERNETES.read_text())
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert 0 < job["activeDeadlineSeconds"] <= 4 * 3600 and job["backoffLimit"] <= 2
    no_retry = next(r for r in job["podFailurePolicy"]["rules"] if r["action"] == "FailJob")
    assert {1, 2, 70} <= set(no_retry["onExitCodes"]["values"])  # a tripped gate is not retried
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = {e["name"]: e for e in container["env"]}
    for name in ("PAGERDUTY_TOKEN", "INSIGHTS_DB_URL"):
        assert "value" not in env[name] and env[name]["valueFrom"]["secretKeyRef"]["key"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    data = next(m for m in container["volumeMounts"] if m["mountPath"] == "/data")
    assert volumes[data["name"]]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert "--fail-on-new-failures" in container["args"]


# --- cron ------------------------------------------------------------------------------------------------


def test_cron_wrapper_passes_shellcheck(need):
    result = subprocess.run([tool("shellcheck", need), str(CRON)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- sharded runs ----------------------------------------------------------------------------------------


def test_sharded_workflow_passes_actionlint_and_the_workflow_schema(need):
    result = subprocess.run([tool("actionlint", need), "-no-color", "-pyflakes=",
                             f"-shellcheck={tool('shellcheck', need)}", str(SHARDED_GITHUB)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    result = check_schema("vendor.github-workflows", SHARDED_GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sharded_workflow_runs_every_shard_then_finalize_whatever_happened():
    workflow = yaml.safe_load(SHARDED_GITHUB.read_text())
    shards, finalize = workflow["jobs"]["shard"], workflow["jobs"]["finalize"]
    matrix = shards["strategy"]["matrix"]["shard"]
    assert matrix == list(range(1, workflow["env"]["SHARDS"] + 1))
    assert shards["strategy"]["fail-fast"] is False
    crawl = next(step["run"] for step in shards["steps"] if "insights run" in step.get("run", ""))
    assert '--shard "${{ matrix.shard }}/$SHARDS" --run-key "$RUN_KEY"' in crawl
    assert set(finalize["needs"]) == {"shard", "collect"} and finalize["if"] == "always()"
    run = next(step["run"] for step in finalize["steps"] if "insights finalize" in step.get("run", ""))
    assert '--run-key "$RUN_KEY"' in run and "--fail-on-new-failures" in run
    assert "github.run_id" in workflow["env"]["RUN_KEY"] and "github.run_attempt" in workflow["env"]["RUN_KEY"]
    assert "secrets.INSIGHTS_DB_URL" in workflow["env"]["INSIGHTS_DB_URL"]
    assert "insights collect --out pagerduty.json" in [s.get("run") for s in workflow["jobs"]["collect"]["steps"]]


def _sharded_pod():
    cronjob = list(yaml.safe_load_all(SHARDED_KUBERNETES.read_text()))[1]
    job = cronjob["spec"]["jobTemplate"]["spec"]
    (container,) = job["template"]["spec"]["containers"]
    return cronjob, job, container


def test_sharded_kubernetes_job_is_indexed_with_the_finalize_last():
    cronjob, job, container = _sharded_pod()
    env = {e["name"]: e for e in container["env"]}
    shards = int(env["SHARDS"]["value"])
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert job["completionMode"] == "Indexed" and job["completions"] == job["parallelism"] == shards + 1
    assert env["RUN_KEY"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"
    no_retry = next(r for r in job["podFailurePolicy"]["rules"] if r["action"] == "FailIndex")
    assert {1, 2, 70} <= set(no_retry["onExitCodes"]["values"]) and job["backoffLimitPerIndex"] >= 1
    wait = int(container["args"][0].split("--wait ")[1].split()[0])
    assert job["activeDeadlineSeconds"] > wait
    for name in ("PAGERDUTY_TOKEN", "INSIGHTS_DB_URL"):
        assert "value" not in env[name] and env[name]["valueFrom"]["secretKeyRef"]["key"]
    data = next(m for m in container["volumeMounts"] if m["mountPath"] == "/data")
    assert data["subPathExpr"] == "index-$(INDEX)"


def test_sharded_kubernetes_script_passes_shellcheck(need, tmp_path):
    _, _, container = _sharded_pod()
    script = tmp_path / "pod.sh"
    script.write_text("#!/bin/sh\n" + container["args"][0])
    result = subprocess.run([tool("shellcheck", need), str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sharded_kubernetes_script_maps_each_index_to_its_command(tmp_path):
    """The pod's script, run by sh with each index the Job gives, and a stand-in `insights` that prints its
    arguments."""
    _, _, container = _sharded_pod()
    shards = int(next(e["value"] for e in container["env"] if e["name"] == "SHARDS"))
    (tmp_path / "insights").write_text('#!/bin/sh\necho "$*"\n')
    (tmp_path / "insights").chmod(0o755)
    said = []
    for index in range(shards + 1):
        result = subprocess.run([*container["command"], container["args"][0]], capture_output=True, text=True,
                                timeout=60, env={"PATH": f"{tmp_path}:/usr/bin:/bin", "JOB_COMPLETION_INDEX": str(index),
                                                 "SHARDS": str(shards), "RUN_KEY": "insights-29571234"})
        assert result.returncode == 0, result.stderr
        said.append(result.stdout.split())
    for index, words in enumerate(said[:-1]):
        assert words[words.index("--shard") + 1] == f"{index + 1}/{shards}" and "run" in words
        assert words[words.index("--run-key") + 1] == "insights-29571234"
    assert "finalize" in said[-1] and said[-1][said[-1].index("--run-key") + 1] == "insights-29571234"
