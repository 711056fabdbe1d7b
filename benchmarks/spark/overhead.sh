#!/usr/bin/env bash
# Issue 17: the agent's overhead per Spark executor in its default mode, measured as on one JVM: the same job with
# and without the agent, interleaved, compared by what the job itself measured. Here that is DL4J's own
# SparkTrainingStats: each executor's fit of its share of an averaging round (ParameterAveragingWorkerFitTimesMs,
# milliseconds), which runs with or without the agent. Starts this machine's cluster (cluster.sh), runs PAIRS pairs
# (no agent, then the agent's defaults), prints per run the median time per fit of each executor JVM after the first
# WARM rounds (see medians below), and per pair the ratio (agent / none), then the median ratio. Stops the cluster.
#
#   benchmarks/spark/overhead.sh [PAIRS] [job arguments]      (defaults: 3; batches=480 batch=64 averaging=12)
#   WARM=N (rounds left out, 2), BY=median|mean (see medians), KEEP=DIR (keeps the runs' stats files there)
#
# Needs what submit.sh needs (mvn -B -DskipTests package; .ci/setup or benchmarks/spark/install.sh for Spark).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAIRS=${1:-3}
shift || true
ARGS=("$@")
((${#ARGS[@]})) || ARGS=(batches=480 batch=64 averaging=12)
AVERAGING=12
for a in "${ARGS[@]}"; do [[ $a == averaging=* ]] && AVERAGING=${a#averaging=}; done
WARM=${WARM:-2}
# The figure per executor: the median of its rounds (the default), or their mean (BY=mean: finer than the median of
# whole-millisecond spans, for rounds of sub-millisecond fits).
BY=${BY:-median}
WORK=$(mktemp -d)
CLUSTER=$WORK/cluster
trap '"$ROOT/benchmarks/spark/cluster.sh" stop "$CLUSTER" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
MASTER=$("$ROOT/benchmarks/spark/cluster.sh" start "$CLUSTER" | tail -1)
echo "master $MASTER; java: $(java -version 2>&1 | head -1); cpus: $(nproc); job: ${ARGS[*]}; warm-up rounds left out: $WARM"

# Per executor JVM of one run's stats file: the median over averaging rounds (the first WARM left out) of the time
# from one fit's start to the next within the round, (last start - first start) / (fits - 1): a fit of one minibatch
# and whatever runs between two (the agent's step boundary among it). DL4J times each fit in whole milliseconds,
# which is coarse for minibatch fits of 1-2 ms; a round's span of starts is exact to 1 ms over AVERAGING - 1 fits.
medians() {
  sort -k2,2 -k4,4n "$1" | awk -v warm="$WARM" -v per="$AVERAGING" -v by="$BY" '$1 ~ /WorkerFitTimesMs$/ {
      j = $2; i = c[j]++; r = int(i / per); if (i % per == 0) first[j, r] = $4; last[j, r] = $4; rounds[j] = r + 1 }
    END { for (j in rounds) { k = 0; for (r = warm; r < rounds[j]; r++) v[j, ++k] = (last[j, r] - first[j, r]) / (per - 1)
          for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[j, b] < v[j, a]) { t = v[j, a]; v[j, a] = v[j, b]; v[j, b] = t }
          med = k % 2 ? v[j, (k + 1) / 2] : (v[j, k / 2] + v[j, k / 2 + 1]) / 2; s = 0; for (a = 1; a <= k; a++) s += v[j, a]
          printf "%s %.3f %d %.4f\n", j, (by == "mean" ? s / k : med), k, s / k } }'
}

ratios=()
for pair in $(seq 1 "$PAIRS"); do
  declare -A median_of=()
  for variant in none agent; do
    stats=$WORK/$variant-$pair.txt
    env=()
    [[ $variant == none ]] && env=(NO_AGENT=1)
    start=$(date +%s)
    env "${env[@]}" "$ROOT/benchmarks/spark/submit.sh" "$MASTER" "$WORK/out-$variant-$pair" "${ARGS[@]}" "stats=$stats" \
      > "$WORK/submit-$variant-$pair.log" 2>&1 || { echo "the $variant job failed:"; tail -30 "$WORK/submit-$variant-$pair.log"; exit 1; }
    # Executors outlive the driver by a little; the next job must find both workers free.
    sleep 5
    [[ -n ${KEEP:-} ]] && mkdir -p "$KEEP" && cp "$stats" "$KEEP/"
    m=$(medians "$stats")
    # The run's figure: the mean of its executors' medians (each executor is one JVM; the job waits for both).
    median_of[$variant]=$(echo "$m" | awk '{ s += $2; n++ } END { printf "%.2f", s / n }')
    echo "pair $pair $variant ($(( $(date +%s) - start )) s): per executor JVM ms per fit, $BY (rounds): $(echo "$m" | awk '{ printf "%s %s (%s); ", substr($1, 1, 8), $2, $3 }')"
  done
  r=$(awk -v a="${median_of[agent]}" -v b="${median_of[none]}" 'BEGIN { printf "%.4f", a / b }')
  ratios+=("$r")
  echo "pair $pair: agent/none $r"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
  printf "median ratio %.4f over %d pairs [%.4f, %.4f]\n", m, NR, v[1], v[NR] }'
