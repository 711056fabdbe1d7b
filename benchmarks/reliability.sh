#!/usr/bin/env bash
# Issue 19: the agent under faults and over a long run, whole processes (after mvn -B -DskipTests package).
#   benchmarks/reliability.sh faults [ROUNDS]          step time of the DJL MLP (300 steps, every step detailed) with
#                                                      each fault against no fault, interleaved (default 3 rounds)
#   benchmarks/reliability.sh soak [STEPS] [INTERVAL]  the long soak (defaults 100000 steps, a sample every 10 s)
#   benchmarks/reliability.sh kill9 [STEPS]            only the soak's last part: SIGKILL half-way
# faults: per round, each variant runs once: none (the agent, no fault), otlp-slow (an OTLP/HTTP server on loopback
# that takes 2 s per request), otlp-503 (one that answers 503), prometheus-taken (its port already bound),
# output-unusable (the output folder below a regular file), disk-full (ulimit -f: writes past 96 KiB fail; JVM
# events off), disk-full-jvm-events-on (the same with JFR on: JFR's repository hits the limit too). Per run:
# exit code, final loss, mean ms/step from the agent's console summary, and the agent's loss lines.
# soak: the DJL MLP for STEPS steps with the agent in its default mode, its caps set below the run's length, so
# that past them every size must stay flat. Every INTERVAL seconds (the agent's report_interval) it samples: steps
# so far (summary.json's totals), the JVM's heap in use after a full GC (jcmd GC.run, GC.heap_info: the job's and
# the agent's), resident memory, native memory committed (NMT), the sizes of summary.json and trace.json, and
# whether both parse whole. Then a second run of the same job is killed with SIGKILL once half its steps are done,
# and its last files must parse.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-soak}
JAR=${AGENT_JAR:-$PWD/agent/target/mltrace-agent.jar}
CP="$PWD/examples/target/classes:$(cat examples/target/classpath.txt)"
CPUS=$(nproc)  # before OMP_NUM_THREADS is set: nproc honours it
export OMP_NUM_THREADS=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
soak() {
  local STEPS=${1:-100000} INTERVAL=${2:-10}
  CAPS="summary_max_steps=20000,trace_max_events=20000"
  JOB=(io.mltrace.examples.djl.MlpTraining --steps "$STEPS" --batch 8 --hidden 32 --dataset-batches 200)

  valid() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null && echo ok || echo BAD; }
  size() { stat -c %s "$1" 2>/dev/null || echo 0; }
  steps() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["steps"])' "$1" 2>/dev/null || echo 0; }

  echo "java: $(java -version 2>&1 | head -1); cpus: $CPUS; load: $(cut -d' ' -f1-3 /proc/loadavg); steps: $STEPS; interval: ${INTERVAL}s; caps: $CAPS"
  java -Xmx512m -XX:NativeMemoryTracking=summary \
    -javaagent:"$JAR"=output="$WORK/out",console=off,report_interval="$INTERVAL",html_report=false,$CAPS \
    -cp "$CP" "${JOB[@]}" > "$WORK/stdout" 2> "$WORK/stderr" &
  PID=$!
  START=$(date +%s)
  printf 'elapsed_s\tsteps\theap_used_after_gc_kb\trss_kb\tnative_committed_kb\tsummary_bytes\ttrace_bytes\tsummary\ttrace\n'
  while kill -0 "$PID" 2>/dev/null; do
    sleep "$INTERVAL"
    kill -0 "$PID" 2>/dev/null || break
    jcmd "$PID" GC.run > /dev/null 2>&1 || true
    heap=$(jcmd "$PID" GC.heap_info 2>/dev/null | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+' || echo NA)
    rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status 2>/dev/null || echo NA)
    native=$(jcmd "$PID" VM.native_memory summary 2>/dev/null | grep -oE 'Total: reserved=[0-9]+KB, committed=[0-9]+KB' \
      | grep -oE 'committed=[0-9]+' | grep -oE '[0-9]+' || echo NA)
    s="$WORK/out/summary.json"; t="$WORK/out/trace.json"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( $(date +%s) - START ))" "$(steps "$s")" "$heap" "$rss" "$native" \
      "$(size "$s")" "$(size "$t")" "$(valid "$s")" "$(valid "$t")"
  done
  wait "$PID" && rc=0 || rc=$?
  echo "exit $rc after $(( $(date +%s) - START )) s; $(grep 'final loss' "$WORK/stdout" || echo 'no final loss')"
  echo "files at exit: summary.json $(size "$WORK/out/summary.json") B ($(valid "$WORK/out/summary.json"), $(steps "$WORK/out/summary.json") steps), trace.json $(size "$WORK/out/trace.json") B ($(valid "$WORK/out/trace.json"))"
  python3 -c 'import json,sys; print("trace.json truncated:", json.load(open(sys.argv[1])).get("otherData", {}).get("mltrace_truncated", "no"))' "$WORK/out/trace.json" || true
  grep '^mltrace' "$WORK/stderr" || true
  echo
  kill9 "$STEPS"
}

# A loopback HTTP server that answers every request after DELAY seconds with STATUS (OTLP/HTTP's empty reply).
serve() {  # serve PORT_FILE DELAY STATUS
  python3 - "$@" <<'PY' &
import http.server, socketserver, sys, time
port_file, delay, status = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        time.sleep(delay)
        self.send_response(status); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
s = S(('127.0.0.1', 0), H)
open(port_file, 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
}

# A run of the soak's job killed with SIGKILL once half its steps are done: its last files must parse.
kill9() {
  local STEPS=${1:-100000}
  local CAPS="summary_max_steps=20000,trace_max_events=20000"
  rm -rf "$WORK/out"
  java -Xmx512m -javaagent:"$JAR"=output="$WORK/out",console=off,report_interval=1,html_report=false,$CAPS \
    -cp "$CP" io.mltrace.examples.djl.MlpTraining --steps "$STEPS" --batch 8 --hidden 32 --dataset-batches 200 \
    > /dev/null 2>&1 &
  local PID=$! done=0
  while kill -0 "$PID" 2>/dev/null && (( done < STEPS / 2 )); do
    sleep 1
    done=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["steps"])' "$WORK/out/summary.json" \
      2>/dev/null || echo 0)
  done
  kill -9 "$PID" 2>/dev/null || { echo "the job ended before half its steps"; return 1; }
  wait "$PID" 2>/dev/null || true
  echo "kill -9 at about step $done: summary.json $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("parses,", d["totals"]["steps"], "steps")' "$WORK/out/summary.json" 2>&1 | tail -1); trace.json $(python3 -c 'import json,sys; json.load(open(sys.argv[1])); print("parses")' "$WORK/out/trace.json" 2>&1 | tail -1); left: $(ls "$WORK/out" | tr '\n' ' ')"
}

faults() {
  local ROUNDS=${1:-3}
  serve "$WORK/slow.port" 2 200; local SLOW_PID=$!
  serve "$WORK/err.port" 0 503; local ERR_PID=$!
  python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(86400)' "$WORK/taken.port" &
  local TAKEN_PID=$!
  sleep 2
  local slow err taken
  slow=$(cat "$WORK/slow.port"); err=$(cat "$WORK/err.port"); taken=$(cat "$WORK/taken.port")
  touch "$WORK/a-file"
  echo "java: $(java -version 2>&1 | head -1); cpus: $CPUS; load: $(cut -d' ' -f1-3 /proc/loadavg); rounds: $ROUNDS"
  printf 'round\tvariant\texit\tfinal_loss\tmean_ms_per_step\tagent lines\n'
  for round in $(seq 1 "$ROUNDS"); do
    for variant in none otlp-slow otlp-503 prometheus-taken output-unusable disk-full disk-full-jvm-events-on; do
      local out="$WORK/out-$variant" opts="sample_every=1,console=summary,report_interval=1" prefix="" env=()
      rm -rf "$out"
      case $variant in
        otlp-slow) env=(OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$slow") ;;
        otlp-503) env=(OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$err") ;;
        prometheus-taken) opts="$opts,prometheus=$taken" ;;
        output-unusable) out="$WORK/a-file/out" ;;
        disk-full) prefix="ulimit -f 192;"; opts="$opts,jvm_events=off" ;;
        disk-full-jvm-events-on) prefix="ulimit -f 192;" ;;  # JFR's repository hits the limit: HotSpot aborts
      esac
      # In $WORK: a JVM that aborts leaves its hs_err files there, not in the checkout.
      (cd "$WORK" && sh -c "$prefix exec env ${env[*]:-} java -Xmx256m -javaagent:$JAR=output=$out,$opts -cp '$CP' \
        io.mltrace.examples.djl.MlpTraining --steps 300") > "$WORK/stdout" 2> "$WORK/stderr" && rc=0 || rc=$?
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$variant" "$rc" \
        "$(grep -oE 'final loss [0-9.]+' "$WORK/stdout" | cut -d' ' -f3)" \
        "$(grep -oE 'mean [0-9.]+ ms/step' "$WORK/stdout" | cut -d' ' -f2)" \
        "$(grep -E '^mltrace: (OTLP|Prometheus|cannot write|exporter)' "$WORK/stderr" | cut -c1-160 | tr '\n' '|')"
    done
  done
  kill "$SLOW_PID" "$ERR_PID" "$TAKEN_PID" 2>/dev/null || true
}

case $MODE in
  soak) shift || true; soak "$@" ;;
  faults) shift || true; faults "$@" ;;
  kill9) shift || true; kill9 "$@" ;;
  *) echo "usage: $0 faults [ROUNDS] | soak [STEPS] [INTERVAL_S] | kill9 [STEPS]" >&2; exit 2 ;;
esac
