#!/usr/bin/env bash
# A Spark standalone cluster on this machine: one master and two workers (one core each, so each executor is its
# own JVM), started and stopped by pid with bounded waits.
#
#   benchmarks/spark/cluster.sh start DIR [MASTER_PORT]   # prints the master URL; logs and pids in DIR
#   benchmarks/spark/cluster.sh stop DIR                  # TERM by pid, KILL after 20 s
#   benchmarks/spark/cluster.sh java-options              # the JVM flags Spark 3.1 needs on Java 17
#
# SPARK_HOME defaults to .tools/spark-3.5.9 (benchmarks/spark/install.sh). WORKERS (2), WORKER_MEMORY (1g).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export SPARK_HOME=${SPARK_HOME:-$ROOT/.tools/spark-${SPARK_VERSION:-3.5.9}}
WORKERS=${WORKERS:-2}
WORKER_MEMORY=${WORKER_MEMORY:-1g}
WAIT_S=${WAIT_S:-90}

# Spark 3.1 predates Java 17 support: it reaches into these JDK internals (Spark 3.3 passes the same list itself).
java_options() {
  local opens=(java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent
    java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar)
  local out="-XX:+IgnoreUnrecognizedVMOptions"
  for p in "${opens[@]}"; do out+=" --add-opens=java.base/$p=ALL-UNNAMED"; done
  echo "$out"
}

# Waits until FILE contains PATTERN or PID has died; bounded by WAIT_S.
await() {
  local file=$1 pattern=$2 pid=$3 what=$4 deadline=$((SECONDS + WAIT_S))
  while ((SECONDS < deadline)); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "cluster: $what exited; its log: $file" >&2; tail -20 "$file" >&2; return 1; }
    sleep 0.5
  done
  echo "cluster: $what not ready within ${WAIT_S}s; its log: $file" >&2
  tail -20 "$file" >&2
  return 1
}

start() {
  local dir=$1 port=${2:-7077}
  [[ -d $SPARK_HOME/jars ]] || { echo "cluster: no Spark at $SPARK_HOME (run benchmarks/spark/install.sh)" >&2; exit 2; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local opts
  opts=$(java_options)
  # SPARK_SCALA_VERSION: bin/load-spark-env.sh sets it for spark-submit; a worker launching executors without it
  # looks for a source build and fails ("Cannot find any build directories").
  export SPARK_LOCAL_IP=127.0.0.1 SPARK_SCALA_VERSION=2.12
  # The daemons run as plain java processes (not spark-daemon.sh) so that the pid we hold is the JVM's own.
  # shellcheck disable=SC2086
  java $opts -Xmx256m -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port 0 >"$dir/master.log" 2>&1 &
  echo $! >"$dir/master.pid"
  trap 'stop "$dir"' ERR
  await "$dir/master.log" "I have been elected leader" "$(cat "$dir/master.pid")" master
  local url="spark://127.0.0.1:$port"
  for ((i = 1; i <= WORKERS; i++)); do
    mkdir -p "$dir/worker-$i"
    # shellcheck disable=SC2086
    java $opts -Xmx256m -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory "$WORKER_MEMORY" --webui-port 0 --work-dir "$dir/worker-$i" "$url" \
      >"$dir/worker-$i.log" 2>&1 &
    echo $! >"$dir/worker-$i.pid"
  done
  for ((i = 1; i <= WORKERS; i++)); do
    await "$dir/worker-$i.log" "Successfully registered with master" "$(cat "$dir/worker-$i.pid")" "worker $i"
  done
  trap - ERR
  echo "$url"
}

stop() {
  local dir=$1 pids=() f
  for f in "$dir"/worker-*.pid "$dir"/master.pid; do
    [[ -f $f ]] && pids+=("$(cat "$f")")
  done
  ((${#pids[@]})) || return 0
  # Executors are the workers' children: a worker stopping by TERM kills its executors first; they are in the
  # list too, in case a worker dies before it can.
  for f in "$dir"/worker-*.pid; do
    [[ -f $f ]] && while read -r child; do pids+=("$child"); done < <(pgrep -P "$(cat "$f")" || true)
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  local deadline=$((SECONDS + 20)) alive
  while ((SECONDS < deadline)); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.5
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -f "$dir"/worker-*.pid "$dir"/master.pid
}

case ${1:-} in
  start) start "${2:?cluster.sh start DIR [PORT]}" "${3:-7077}" ;;
  stop) stop "${2:?cluster.sh stop DIR}" ;;
  java-options) java_options ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
