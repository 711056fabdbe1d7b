#!/usr/bin/env bash
# Issue 18: where the agent's start-up CPU goes on a short DL4J job (DJL with JOB=djl), measured, not changed.
#   benchmarks/startup-cpu.sh [ROUNDS]        (default 5; after mvn -B -q -DskipTests package)
#   AGENT_OPTIONS=...                         the agent's options (default: console=off plus an output folder)
# 1. ROUNDS rounds, interleaved, of the job (3 steps, one compute thread) without the agent and with it: process CPU
#    (user + system) and wall time; medians and the median added CPU.
# 2. One run with the agent and startup_log=true: the agent's phases (premain's Byte Buddy install among them).
# 3. One run with the agent under async-profiler (itimer, 1 ms, per thread; from benchmarks/target/peers): the
#    process's CPU samples split into Byte Buddy's type matching (ElementMatcher frames in the shaded Byte Buddy),
#    the rest of Byte Buddy (parsing, advice weaving), the JIT compiler threads, and everything else. One sample is
#    1 ms of CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
JOB=${JOB:-dl4j}
JAR=agent/target/mltrace-agent.jar
CP="benchmarks/target/classes:$(cat examples/target/classpath.txt)"
declare -A MAIN=([djl]=io.mltrace.benchmarks.overhead.StepTimeJob [dl4j]=io.mltrace.benchmarks.overhead.Dl4jStepTimeJob)
export OMP_NUM_THREADS=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OPTIONS=${AGENT_OPTIONS:-console=off,output=$WORK/out}
run() { # variant -> "wall user sys"
  local agent=()
  [[ $1 == agent ]] && agent=("-javaagent:$JAR=$OPTIONS")
  local TIMEFORMAT='%R %U %S'
  { time java "${agent[@]}" -cp "$CP" "${MAIN[$JOB]}" --steps 3 --warmup 0 > /dev/null 2>&1 ; } 2>&1
}
echo "job $JOB; $(java -version 2>&1 | head -1); cpus $(nproc --all); load before: $(cut -d' ' -f1-3 /proc/loadavg); rounds $ROUNDS"
for round in $(seq 1 "$ROUNDS"); do
  for variant in none agent; do
    echo "$variant $(run $variant)" | tee -a "$WORK/runs.txt"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{cpu = $3 + $4; c[$1] = c[$1] " " cpu; w[$1] = w[$1] " " $2}
  function med(s,  a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
    if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { printf "median CPU s: none %.2f, agent %.2f, added %.2f; median wall s: none %.2f, agent %.2f\n",
    med(c["none"]), med(c["agent"]), med(c["agent"]) - med(c["none"]), med(w["none"]), med(w["agent"]) }' "$WORK/runs.txt"

echo "--- startup_log=true"
java "-javaagent:$JAR=$OPTIONS,startup_log=true" -cp "$CP" "${MAIN[$JOB]}" --steps 3 --warmup 0 2>&1 | grep -i "mltrace" | head -30

echo "--- async-profiler itimer 1 ms, per thread, with the agent"
unzip -o -q -d "$WORK" benchmarks/target/peers/async-profiler-*.jar linux-x64/libasyncProfiler.so
java "-agentpath:$WORK/linux-x64/libasyncProfiler.so=start,event=itimer,interval=1ms,threads,collapsed,file=$WORK/cpu.collapsed" \
  "-javaagent:$JAR=$OPTIONS" -cp "$CP" "${MAIN[$JOB]}" --steps 3 --warmup 0 > /dev/null 2>&1
awk '{ n = $NF; total += n; stack = $0
  if (stack ~ /shaded\/net\/bytebuddy/ && stack ~ /ElementMatcher|[Mm]atcher\$|matches/) match_ += n
  else if (stack ~ /shaded\/net\/bytebuddy/) bb += n
  else if (stack ~ /^\[C[12] CompilerThre/) jit += n
  else rest += n }
  END { printf "samples (1 ms CPU each): total %d; Byte Buddy matching %d; other Byte Buddy %d; JIT threads %d; rest %d\n",
    total, match_, bb, jit, rest }' "$WORK/cpu.collapsed"
echo "top Byte Buddy frames under matching (leaf-most shaded frame, samples):"
awk '$0 ~ /shaded\/net\/bytebuddy/ { n = $NF; k = split($0, f, ";"); leaf = ""
  for (i = 1; i <= k; i++) if (f[i] ~ /shaded\/net\/bytebuddy/) leaf = f[i]
  sub(/ [0-9]+$/, "", leaf); s[leaf] += n } END { for (l in s) print s[l], l }' "$WORK/cpu.collapsed" | sort -rn | head -8
