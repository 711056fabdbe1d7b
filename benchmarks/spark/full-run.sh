#!/usr/bin/env bash
# Issue 17's full cluster run, in one script (SparkClusterIT is the reduced version the suite runs): this machine's
# Spark standalone cluster (a master, two workers, an executor JVM each), the DL4J MLP trained on synthetic data with
# the agent's defaults (the production mode) on the driver and both executors, executor 0 slowed on purpose (a sleep
# before each of its fits: slow data), several averaging rounds; then the same job by gradient sharing; then
# `mltrace cluster` over each application's folder. Checks, and exits 1 when one fails:
#   - both executors traced, their steps summing to the job's minibatches;
#   - each executor's clock within 1 ms of the driver's (one host: the true offset is 0);
#   - executor 0 finished last in >= 90 % of the iterations compared, and is the step-time straggler in >= 90 % with
#     data as the cause (parameter averaging);
#   - the waits between splits were taken out as split_wait, never a cause.
#
#   benchmarks/spark/full-run.sh [OUT]        (OUT: where the runs' folders stay; default: a temporary folder)
#   BATCHES=N (240), AVERAGING=N (10), SLOW_MS=N (40), BATCH=N (32)
#
# Needs what submit.sh needs (mvn -B -DskipTests install; .ci/setup or benchmarks/spark/install.sh for Spark).
# About 3-4 minutes on 2 cores.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$(mktemp -d)}
BATCHES=${BATCHES:-240}
AVERAGING=${AVERAGING:-10}
SLOW_MS=${SLOW_MS:-40}
BATCH=${BATCH:-32}
AGENT_JAR=$ROOT/agent/target/mltrace-agent.jar
export SPARK_HOME=${SPARK_HOME:-$(ls -d "$ROOT"/.tools/spark-* 2>/dev/null | head -1)}
[[ -d $SPARK_HOME/jars ]] || { echo "no Spark at '$SPARK_HOME': run .ci/setup (or benchmarks/spark/install.sh)" >&2; exit 2; }
[[ -f $AGENT_JAR ]] || { echo "no $AGENT_JAR: mvn -B -DskipTests install" >&2; exit 2; }
mkdir -p "$OUT"
CLUSTER=$OUT/cluster
trap '"$ROOT/benchmarks/spark/cluster.sh" stop "$CLUSTER" >/dev/null 2>&1 || true' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MASTER=$("$ROOT/benchmarks/spark/cluster.sh" start "$CLUSTER" "$PORT" | tail -1)
echo "master $MASTER; java: $(java -version 2>&1 | head -1); cpus: $(nproc); $BATCHES minibatches of $BATCH," \
  "averaging every $AVERAGING, executor 0 sleeping $SLOW_MS ms before each fit"
FAILED=0
check() { # check DESCRIPTION CONDITION...
  local what=$1; shift
  if "$@"; then echo "  ok: $what"; else echo "  FAILED: $what"; FAILED=1; fi
}

run_job() { # run_job NAME [submit.sh arguments]
  local name=$1; shift
  local out=$OUT/$name
  rm -rf "$out"
  "$ROOT/benchmarks/spark/submit.sh" "$MASTER" "$out" "batches=$BATCHES" "batch=$BATCH" "$@" > "$OUT/$name.log" 2>&1 \
    || { echo "$name: the job failed, see $OUT/$name.log" >&2; tail -20 "$OUT/$name.log" >&2; exit 1; }
  sleep 5 # the executors write their files when their JVMs exit, a moment after the driver's
  local app
  app=$(ls -d "$out"/app-* | head -1)
  java -jar "$AGENT_JAR" cluster "$out" --out "$OUT/$name-cluster" --warmup 2 | tee "$OUT/$name-cluster.txt"
  python3 - "$app" "$OUT/$name-cluster/summary.json" "$BATCHES" > "$OUT/$name-checks.txt" <<'PY'
import json, sys, glob
app, cluster, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
steps, clocks = 0, []
for f in sorted(glob.glob(app + "/executor-*/summary.json")):
    s = json.load(open(f))
    steps += s["totals"]["steps"]
    c = s.get("clock", {})
    clocks.append(abs(c.get("offset_ns", 10**12)))
c = json.load(open(cluster))
last = c.get("finished_last") or {}
straggler = c.get("straggler") or {}
causes = [s["cause"] for s in c["steps"]]
waits = sum(w["breakdown_ns"].get("split_wait", 0) for w in c["workers"])
print("executors", len(clocks))
print("steps", steps, batches)
print("clock_max_ns", max(clocks) if clocks else -1)
print("last_is_executor_0", int(last.get("worker", "").startswith("executor 0 ")))
print("last_share", last.get("share_of_steps", 0))
print("straggler_is_executor_0", int(straggler.get("worker", "").startswith("executor 0 ")))
print("straggler_share", straggler.get("share_of_steps", 0))
print("straggler_cause", straggler.get("cause", ""))
print("split_wait_ns", waits, "split_wait_as_cause", causes.count("split_wait"))
PY
  cat "$OUT/$name-checks.txt"
}
field() { awk -v k="$1" -v i="$2" '$1 == k { print $i }' "$3"; }

echo "== parameter averaging, executor 0 slowed"
run_job averaging "averaging=$AVERAGING" "slow-executor=0" "slow-ms=$SLOW_MS"
C=$OUT/averaging-checks.txt
check "two executors traced" [ "$(field executors 2 "$C")" = 2 ]
check "their steps are the job's $BATCHES minibatches" [ "$(field steps 2 "$C")" = "$BATCHES" ]
check "clocks within 1 ms of the driver's" [ "$(field clock_max_ns 2 "$C")" -le 1000000 ]
at_least() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$1" "$2"; }
last_ok() { [ "$(field last_is_executor_0 2 "$C")" = 1 ] && at_least "$(field last_share 2 "$C")" 0.9; }
straggler_ok() { [ "$(field straggler_is_executor_0 2 "$C")" = 1 ] && at_least "$(field straggler_share 2 "$C")" 0.9; }
check "executor 0 finished last in >= 90 % of the iterations" last_ok
check "executor 0 the step-time straggler in >= 90 %" straggler_ok
check "with data as the cause" [ "$(field straggler_cause 2 "$C")" = data ]
check "waits between splits taken out" [ "$(field split_wait_ns 2 "$C")" -gt 0 ]
check "a wait is never a cause" [ "$(field split_wait_ns 4 "$C")" = 0 ]

echo "== gradient sharing"
JOB_JAVA_OPTIONS=-Daeron.publication.unblock.timeout=60000000000 run_job sharing "master=shared" "port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
C=$OUT/sharing-checks.txt
check "two executors traced" [ "$(field executors 2 "$C")" = 2 ]
check "their steps are the job's $BATCHES minibatches" [ "$(field steps 2 "$C")" = "$BATCHES" ]
check "clocks within 1 ms of the driver's" [ "$(field clock_max_ns 2 "$C")" -le 1000000 ]

echo "outputs in $OUT"
exit $FAILED
