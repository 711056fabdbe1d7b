#!/usr/bin/env bash
# Submits the example DL4J job (examples/spark, SparkMlp) to a cluster, with the mltrace agent on the driver and on
# every executor. Each executor writes to OUT/<app-id>/executor-<id>/, the driver to OUT/driver/.
#
#   benchmarks/spark/submit.sh MASTER_URL OUT [job arguments: batches=N batch=N averaging=N epochs=N]
#
# Needs: mvn -B -DskipTests package (the agent jar, examples/spark/target/ and its classpath.txt). AGENT_OPTIONS
# are added to the agent's options on both sides (e.g. mode=full, otlp_endpoint=...); JOB_JAVA_OPTIONS to the JVMs'.
# NO_AGENT=1 starts both sides without the agent (to attach later: mltrace attach --app <app-id>).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MASTER=${1:?submit.sh MASTER_URL OUT [job arguments]}
OUT=${2:?submit.sh MASTER_URL OUT [job arguments]}
shift 2
export SPARK_HOME=${SPARK_HOME:-$ROOT/.tools/spark-${SPARK_VERSION:-3.5.9}}
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
AGENT=$ROOT/agent/target/mltrace-agent.jar
JOB=$(ls "$ROOT"/examples/spark/target/mltrace-examples-spark-*.jar | grep -v -e sources -e tests | head -1)
CLASSPATH_FILE=$ROOT/examples/spark/target/classpath.txt
for f in "$AGENT" "$JOB" "$CLASSPATH_FILE"; do
  [[ -f $f ]] || { echo "submit: $f is missing (mvn -B -DskipTests package)" >&2; exit 2; }
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# local: jars are read where they lie on each worker's machine (here: this one), never copied; they load in
# Spark's application class loader, which asks Spark's own class path first (its Jackson, Netty, Scala win).
JARS=$(tr ':' '\n' <"$CLASSPATH_FILE" | sed 's/^/local:/' | paste -sd,)
# DL4J's SparkTrainingStats ask an NTP server for the time by default; this machine reaches none, and one host
# needs no clock alignment for them.
DL4J_CLOCK=-Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource
JVM="$("$ROOT/benchmarks/spark/cluster.sh" java-options) ${JOB_JAVA_OPTIONS:-}"
EXTRA=${AGENT_OPTIONS:+,$AGENT_OPTIONS}
EXECUTOR_AGENT=" -javaagent:$AGENT=output=$OUT,console=off$EXTRA"
DRIVER_AGENT=" -javaagent:$AGENT=output=$OUT/driver,console=off$EXTRA"
if [[ ${NO_AGENT:-} == 1 ]]; then
  EXECUTOR_AGENT=""
  DRIVER_AGENT=""
fi
# Both executors take part: the first job waits until both have registered (else the first one to register can run
# every task), and no task waits for the executor that cached its partition (spark.locality.wait).
exec "$SPARK_HOME/bin/spark-submit" --master "$MASTER" --deploy-mode client \
  --class io.mltrace.examples.spark.SparkMlp \
  --conf spark.executor.cores=1 --conf spark.cores.max=2 --conf spark.executor.memory=768m \
  --conf spark.ui.enabled=false \
  --conf spark.scheduler.minRegisteredResourcesRatio=1.0 --conf spark.scheduler.maxRegisteredResourcesWaitingTime=90s \
  --conf spark.locality.wait=0s \
  --conf "spark.executor.extraJavaOptions=$JVM $DL4J_CLOCK$EXECUTOR_AGENT" \
  --driver-java-options "$JVM $DL4J_CLOCK$DRIVER_AGENT" \
  --jars "$JARS" "$JOB" "$@"
