#!/usr/bin/env bash
# The one-off flow for a job run by hand: validate, plan, review, run, re-run the failures.
#
#   az login --allow-no-subscriptions     # once, as the ORGANIZER of the events (docs/auth.md)
#   examples/one-off.sh jobs/cancel-webinars.csv
#
# Every step can also be typed by hand; the script only adds the pauses and the file names.
set -euo pipefail

manifest=${1:?usage: one-off.sh MANIFEST.csv|MANIFEST.yaml}
job=$(basename "${manifest%.*}")
export GRAPH_BATCH_AUTH=${GRAPH_BATCH_AUTH:-azure-cli}   # your own `az login`

# 1. Validate: every problem as FILE:LINE: field: message. Nothing is sent (exit 2 if invalid).
graph-batch validate "$manifest"

# 2. Plan: read every target (GETs only, nothing changes) and classify each row: will-apply,
#    already-done, not-found, forbidden or error; prints the estimated run time. Exit 1 means
#    some rows need attention: the script goes on so that you can review them.
graph-batch plan "$manifest" --out "$job.plan.json" || true

# 3. Review the plan (and who you are signed in as) before anything changes.
graph-batch whoami
read -r -p "Run the rows the plan says will apply? [y/N] " answer
[[ $answer == [yY]* ]] || { echo "Nothing sent."; exit 0; }

# 4. Run exactly the reviewed plan. A plan is bound to the manifest's bytes: if the manifest
#    was edited since, the run refuses (exit 2) and you plan again. Rows that fail, rows the
#    run did not reach and rows the plan flagged (not-found, forbidden, error) land in
#    $job.failed.csv, which is itself a manifest; its `reason` column says which.
status=0
graph-batch run "$manifest" --plan "$job.plan.json" --yes \
  --audit-log "$job.audit.jsonl" --failures-csv "$job.failed.csv" || status=$?

case $status in
  0) echo "Done: every planned row succeeded or was already done (rows the plan did not"
     echo "mark will-apply were skipped: see $job.plan.json)."; exit 0 ;;
  1) ;;  # some rows failed: offer the retry below
  *) exit "$status" ;;  # 2 usage/manifest, 3 auth, 4 lock held, 130 interrupted: see the message
esac

# 5. Re-run just the failed rows once the cause is fixed (permissions, organizer, ids...).
#    Its x-source-line label says where each row came from; its error_code, error_message and
#    reason columns are ignored by the manifest reader.
graph-batch report "$job.audit.jsonl" || true
read -r -p "Fix the cause, then press Enter to retry $job.failed.csv (Ctrl-C to stop) " _
graph-batch run "$job.failed.csv" --yes \
  --audit-log "$job.retry.audit.jsonl" --failures-csv "$job.failed-again.csv"
