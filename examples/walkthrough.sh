#!/usr/bin/env bash
# A whole job, from keys to a proven balance, against a running Tally
# (`TALLY_ADMIN_KEY=change-me-to-a-long-random-secret npm start` in another terminal).
set -euo pipefail

BASE="${BASE:-http://localhost:3000}"
ADMIN_KEY="${ADMIN_KEY:-change-me-to-a-long-random-secret}"
# The prover agent and the CLI, from dist/ (which `npm start` built). The agent is run by node
# itself, not `npm run prover`, so that stopping it stops the agent and not only npm.
PROVER="${PROVER:-node dist/apps/prover-agent/src/main.js}"
CLI="${CLI:-npm run --silent cli --}" # only its offline checks: the service holds the database
RUN="$(date +%s)"                     # makes this run's idempotency keys and job id new
WORK="$(mktemp -d)"                   # the answers saved for the offline checks
AGENT_PID=""
trap '[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# json PATH: the field at a dotted PATH of the JSON on stdin (`json batch.batch_no`)
json() {
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    let v = JSON.parse(s);
    for (const k of process.argv[1].split(".")) v = v?.[k];
    if (v === undefined) process.exit(1);
    console.log(typeof v === "object" ? JSON.stringify(v) : v);
  })' "$1"
}
# get PATH KEY / post PATH KEY BODY [HEADER…]: a call with an API key; a refusal stops the run
get() { curl -sS --fail-with-body "$BASE$1" -H "Authorization: Bearer $2"; }
post() {
  curl -sS --fail-with-body -X POST "$BASE$1" -H "Authorization: Bearer $2" \
    -H 'content-type: application/json' -d "$3" "${@:4}"
}
step() { printf '\n== %s\n' "$*"; }

step "1. a client key for alice and a prover key for prover-1 (each secret is shown only once)"
CLIENT_KEY=$(post /v1/admin/keys "$ADMIN_KEY" '{"role":"client","subject":"alice"}' | json key)
PROVER_KEY=$(post /v1/admin/keys "$ADMIN_KEY" '{"role":"prover","subject":"prover-1"}' | json key)
echo "client key ${CLIENT_KEY:0:12}…, prover key ${PROVER_KEY:0:12}…"

step "2. mint 100 credits to alice"
MINTED=$(post /v1/credits/mint "$ADMIN_KEY" '{"account_type":"user","account_id":"alice","amount":"100"}' \
  -H "Idempotency-Key: walkthrough-mint-$RUN" | json transfer_id)
echo "minted: transfer $MINTED"

step "3. start the prover agent: it registers prover-1 and long-polls for jobs"
$PROVER --url "$BASE" --key "$PROVER_KEY" \
  --exec 'cat > /dev/null; echo proved; echo TALLY_COST_MICROS=250000' > "$WORK/prover.log" 2>&1 &
AGENT_PID=$!

step "4. alice submits a job: up to 5 credits (5000000 micros) are held in escrow"
JOB=$(post /v1/jobs/submit "$CLIENT_KEY" \
  "{\"client_job_id\":\"walkthrough-$RUN\",\"payload\":{\"task\":\"prove\"},\"max_cost_micros\":\"5000000\"}" |
  json network_job_id)
echo "job $JOB submitted"

step "5. watch it settle: PENDING → ASSIGNED → RUNNING → COMPLETED → AUDITED"
STATUS=""
for _ in $(seq 1 120); do
  NOW=$(get "/v1/jobs/$JOB" "$CLIENT_KEY" | json status)
  [ "$NOW" != "$STATUS" ] && echo "job $JOB: $NOW" && STATUS=$NOW
  case "$STATUS" in AUDITED) break ;; FAILED | CANCELLED) echo "job $JOB ended $STATUS" >&2 && exit 1 ;; esac
  sleep 0.5
done
[ "$STATUS" = AUDITED ] || { echo "job $JOB did not settle within a minute" >&2 && exit 1; }

step "6. the prover's work is done: stop the agent (SIGTERM lets it finish and exit)"
kill "$AGENT_PID" && wait "$AGENT_PID" || true
AGENT_PID=""
sed 's/^/  prover | /' "$WORK/prover.log"

step "7. balances: alice paid the job's cost, prover-1 earned it less the platform's fee"
CLIENT_BALANCE=$(get /v1/credits/accounts/user/alice "$CLIENT_KEY" | json balance.posted)
PROVER_BALANCE=$(get /v1/credits/accounts/prover/prover-1 "$PROVER_KEY" | json balance.posted)
echo "alice: $CLIENT_BALANCE credits, prover-1: $PROVER_BALANCE credits"

step "8. the job's signed receipts, verified offline against the published keys"
get "/v1/jobs/$JOB/receipts" "$CLIENT_KEY" > "$WORK/receipts.json"
curl -sS --fail-with-body "$BASE/v1/receipts/keys" > "$WORK/keys.json"
$CLI verify-receipt "$WORK/receipts.json" --keys "$WORK/keys.json"

step "9. seal a settlement batch (the periodic seal may have sealed it already)"
SEALED=$(post /v1/settlement/batches "$ADMIN_KEY" '{}' | json sealed)
echo "sealed now: $SEALED"
BATCH=$(get /v1/settlement/status "$ADMIN_KEY" | json last_batch.batch_no)
echo "latest batch: $BATCH"

step "10. alice's balance proof, verified offline against the signed batch"
get "/v1/settlement/batches/$BATCH/proofs/accounts/user/alice" "$CLIENT_KEY" > "$WORK/proof.json"
curl -sS --fail-with-body "$BASE/v1/settlement/batches/$BATCH" > "$WORK/batch.json"
PROVEN=$($CLI verify-proof "$WORK/proof.json" --batch "$WORK/batch.json" --keys "$WORK/keys.json")
echo "$PROVEN"
case "$PROVEN" in
  *"holds $CLIENT_BALANCE credits"*) echo "your balance is proven" ;;
  *) echo "the batch proves another balance than alice's $CLIENT_BALANCE" >&2 && exit 1 ;;
esac
