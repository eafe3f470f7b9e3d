#!/usr/bin/env bash
# Nightly wrapper for cron: one dated log per run, old logs pruned, the exit code passed on.
#   crontab:  17 3 * * *  /opt/insights/insights-cron.sh
# Reads /opt/insights/env (PAGERDUTY_TOKEN=..., INSIGHTS_DB_URL=...; mode 600) and works in /opt/insights.
set -uo pipefail
home="${INSIGHTS_HOME:-/opt/insights}"
cd "$home" || exit 2
set -a
# The credentials file is the site's own, not part of this script.
# shellcheck source=/dev/null
. ./env
set +a
mkdir -p logs reports
log="logs/insights-$(date -u +%Y%m%dT%H%M%SZ).log"
insights --log-level info run --out reports/ >"$log" 2>&1
status=$?
echo "exit code $status" >>"$log"
find logs -name 'insights-*.log' -mtime +30 -delete
exit "$status"
