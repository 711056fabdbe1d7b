#!/usr/bin/env bash
# Issue 22: what the agent adds at a JVM's edges (start-up and exit), whole processes, interleaved.
#   benchmarks/edges.sh [ROUNDS]            (default 5; run from anywhere, after mvn -DskipTests package)
#   AGENT_JAR=/path/to/mltrace-agent.jar    the agent to measure (default: this checkout's build)
#   VARIANTS="none default nojfr"           which variants to run (default: none default nocache full; nojfr is the
#                                           defaults with jvm_events=off: JFR never starts; jfronly is no agent and
#                                           -XX:StartFlightRecording:settings=none: the JDK's own JFR start, alone)
#   BEFORE_JAR=/path/to/mltrace-agent.jar   also runs another build (variants before_default, before_full) in the
#                                           same rounds, for a before/after comparison under the same load (with
#                                           VARIANTS given, name them there)
# Per round, each job (DJL MLP and DL4J MLP, 3 steps, one compute thread) runs without the agent, with the
# agent's defaults (its weaving cache warm: a folder of this run's, filled by one run of each job before the rounds),
# with the defaults and no weaving cache (weave_cache=off: what a JVM pays when the cache does not know its classes,
# the first run of a build) and with mode=full (cache warm), in that order (the runs' output files are written and discarded). Per run: wall time of the process, the JVM's uptime when the
# training loop's first class loaded (EasyTrain for DJL, Solver for DL4J: the first step starts then; from
# -Xlog:class+load, which every variant pays alike; plus the time a build that starts JFR beside the job held its
# first step, from startup_log), and the process's CPU time. Prints every run, then per job
# and variant the median and the range, and the median added over "none".
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
JAR=${AGENT_JAR:-agent/target/mltrace-agent.jar}
CP="examples/target/classes:$(cat examples/target/classpath.txt)"
CPUS=$(nproc)  # before OMP_NUM_THREADS is set: nproc honours it
export OMP_NUM_THREADS=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
declare -A MAIN=([djl]=io.mltrace.examples.djl.MlpTraining [dl4j]=io.mltrace.examples.dl4j.Dl4jTraining)
declare -A ARGS=([djl]="--steps 3" [dl4j]="--model mlp --steps 3")
declare -A FIRST=([djl]=ai.djl.training.EasyTrain [dl4j]=org.deeplearning4j.optimize.Solver)
CACHE="weave_cache_dir=$WORK/cache"
declare -A AGENT=([none]="" [default]="=output=$WORK/out,console=off,startup_log=true,$CACHE"
  [nocache]="=output=$WORK/out,console=off,startup_log=true,weave_cache=off"
  [full]="=output=$WORK/out,console=off,startup_log=true,mode=full,$CACHE"
  [nojfr]="=output=$WORK/out,console=off,startup_log=true,jvm_events=off,$CACHE")
declare -A AGENT_JAR_OF=([default]=$JAR [nocache]=$JAR [full]=$JAR [nojfr]=$JAR)
USER_VARIANTS=${VARIANTS:-}
VARIANTS=${VARIANTS:-"none default nocache full"}
if [[ -n ${BEFORE_JAR:-} ]]; then
  # (a build without the weaving cache names its option unknown on stderr, which is discarded, and runs as it did)
  AGENT[before_default]=${AGENT[default]}
  AGENT[before_full]=${AGENT[full]}
  AGENT_JAR_OF[before_default]=$BEFORE_JAR
  AGENT_JAR_OF[before_full]=$BEFORE_JAR
  VARIANTS=${USER_VARIANTS:-"none before_default default nocache before_full full"}
fi

echo "java: $(java -version 2>&1 | head -1); cpus: $CPUS; load: $(cut -d" " -f1-3 /proc/loadavg); jar: $JAR; before: ${BEFORE_JAR:-none}; rounds: $ROUNDS"
printf '%s\t%s\t%s\t%s\t%s\t%s\n' round job variant wall_s first_step_s cpu_s > "$WORK/runs.tsv"
# The weaving cache filled once per job and mode (memory and spans decide the plan; mode does not).
for job in djl dl4j; do
  for jar in "$JAR" ${BEFORE_JAR:-}; do
    java "-javaagent:$jar${AGENT[default]}" -cp "$CP" "${MAIN[$job]}" ${ARGS[$job]} > /dev/null 2>&1
  done
done
for round in $(seq 1 "$ROUNDS"); do
  for job in djl dl4j; do
    for variant in $VARIANTS; do
      agent=()
      if [[ $variant == jfronly ]]; then
        agent=(-XX:StartFlightRecording:settings=none) # no agent: what the JVM's own JFR start costs the job
      elif [[ $variant != none ]]; then
        agent=("-javaagent:${AGENT_JAR_OF[$variant]}${AGENT[$variant]}")
      fi
      rm -rf "$WORK/out" "$WORK/classes.log"
      start=$(date +%s%N)
      /usr/bin/time -f '%U %S' -o "$WORK/cpu" java "${agent[@]}" -Xlog:class+load=info:file="$WORK/classes.log":uptime \
        -cp "$CP" "${MAIN[$job]}" ${ARGS[$job]} > "$WORK/stdout" 2> "$WORK/stderr"
      end=$(date +%s%N)
      first=$(grep -m1 " ${FIRST[$job]} " "$WORK/classes.log" | sed -E 's/^\[([0-9.]+)s\].*/\1/')
      # A build that starts JFR beside the job holds its first step until JFR records (StepGate): that wait is
      # after the loop's first class loaded, so it is added (startup_log prints it at exit; 0 for older builds).
      held=$(grep -o 'first steps held for JFR [0-9]* ms' "$WORK/stderr" | grep -o '[0-9]*' || true)
      [[ -n $first && -n $held ]] && first=$(echo "$first + $held / 1000" | bc -l | awk '{printf "%.3f", $1}')
      cpu=$(awk '{print $1 + $2}' "$WORK/cpu")
      line=$(printf '%s\t%s\t%s\t%.3f\t%s\t%s' "$round" "$job" "$variant" "$(echo "($end - $start) / 1000000000" | bc -l)" \
        "${first:-NA}" "$cpu")
      echo "$line" | tee -a "$WORK/runs.tsv"
    done
  done
done
echo
echo "job	variant	wall median [min, max]	first step median [min, max]	cpu median	added wall	added first step	added cpu"
for job in djl dl4j; do
  for variant in $VARIANTS; do
    awk -v job="$job" -v v="$variant" -F'\t' '
      function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      NR > 1 && $2 == job && $3 == v { n++; w[n] = $4; f[n] = $5; c[n] = $6 }
      NR > 1 && $2 == job && $3 == "none" { m++; w0[m] = $4; f0[m] = $5; c0[m] = $6 }
      END { mw = median(w, n); lw = w[1]; hw = w[n]; mf = median(f, n); lf = f[1]; hf = f[n]; mc = median(c, n)
        printf "%s\t%s\t%.2f [%.2f, %.2f]\t%.2f [%.2f, %.2f]\t%.2f\t%+.2f\t%+.2f\t%+.2f\n", job, v, mw, lw, hw, mf, lf, hf, mc,
          mw - median(w0, m), mf - median(f0, m), mc - median(c0, m) }' "$WORK/runs.tsv"
  done
done
