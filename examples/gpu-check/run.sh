#!/usr/bin/env bash
# The real-GPU check: kernels (a cuBLAS sgemm and an sscal), copies in all three directions, a memset and device
# allocations and releases, launched from Java, traced through CUPTI, checked against the spans that launched them,
# with the costs printed; then a device leak under the agent, which the leak finder must name by its op.
#
#   examples/gpu-check/run.sh build    # here, after `mvn -B package -DskipTests`: gcc + javac into target/
#   examples/gpu-check/run.sh bundle   # build, plus a jlink'ed Java runtime in target/jdk for a GPU host without one
#   examples/gpu-check/run.sh run      # on the GPU host: the direct check, then the same steps under the agent
#
# On the GPU host it needs libcudart, libcublas and libcupti (CUDA 12 or 13): from a CUDA toolkit, or from the
# nvidia-* pip wheels PyTorch installs; it looks in $CUDA_HOME, /usr/local/cuda*, and python's site-packages.
# Set CUPTI_PATH to name the libcupti file. Exit code 0 only when both checks pass.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$here/target"

build() {
  local collector_jar
  collector_jar=$(ls "$root"/collector/target/mltrace-collector-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1)
  if [[ -z "$collector_jar" || ! -f "$root/agent/target/mltrace-agent.jar" ]]; then
    echo "gpu-check: build the project first: mvn -B package -DskipTests" >&2
    exit 1
  fi
  local java_home
  java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
  mkdir -p "$target/classes"
  gcc -std=c11 -O2 -Wall -Wextra -fPIC -shared -I"$java_home/include" -I"$java_home/include/linux" \
    -o "$target/libgpucheck.so" "$here/gpucheck.c" -ldl
  javac --release 17 -cp "$collector_jar" -d "$target/classes" "$here/GpuCheck.java"
  cp "$collector_jar" "$target/mltrace-collector.jar"
  cp "$root/agent/target/mltrace-agent.jar" "$target/mltrace-agent.jar"
  echo "gpu-check: built into $target"
}

bundle() {
  build
  rm -rf "$target/jdk"
  jlink --add-modules java.base,java.instrument,java.management,jdk.management,jdk.jfr,jdk.unsupported,jdk.attach \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$target/jdk"
  echo "gpu-check: Java runtime in $target/jdk ($(du -sh "$target/jdk" | cut -f1))"
}

cuda_library_path() {
  local dirs=() d
  for d in "${CUDA_HOME:-/nonexistent}/lib64" "${CUDA_HOME:-/nonexistent}/extras/CUPTI/lib64" /usr/local/cuda/lib64 \
    /usr/local/cuda/extras/CUPTI/lib64 /usr/local/cuda-*/lib64 /usr/local/cuda-*/extras/CUPTI/lib64 \
    /usr/lib/x86_64-linux-gnu; do
    [[ -d "$d" ]] && dirs+=("$d")
  done
  if command -v python3 >/dev/null 2>&1; then
    for d in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
      for lib in "$d"/nvidia/*/lib; do
        [[ -d "$lib" ]] && dirs+=("$lib")
      done
    done
  fi
  local IFS=:
  echo "${dirs[*]}"
}

run() {
  [[ -f "$target/libgpucheck.so" ]] || build
  local java=java
  [[ -x "$target/jdk/bin/java" ]] && java="$target/jdk/bin/java"
  export LD_LIBRARY_PATH="$(cuda_library_path)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  echo "== direct: GPU tracing in the checking JVM"
  "$java" -Djava.library.path="$target" -cp "$target/classes:$target/mltrace-collector.jar" GpuCheck direct \
    "${CUPTI_PATH:-}"
  echo "== agent: the same steps under -javaagent, each also leaking 2 MiB of device memory from op leakyBuffer"
  local out="$target/agent-out" log="$target/agent.log"
  local agent_args="output=$out,console=summary,sample_every=1${CUPTI_PATH:+,cupti_path=$CUPTI_PATH}"
  "$java" -javaagent:"$target/mltrace-agent.jar=$agent_args" \
    -Djava.library.path="$target" -cp "$target/classes" GpuCheck agent leak 2>&1 | tee "$log"
  # 60 steps, each launching at least 2 H2D, sgemm, sscal, memset, D2D and D2H: at least 140 joined records.
  local records unresolved
  records=$(sed -n 's/^mltrace: gpu records \([0-9]*\) .*/\1/p' "$log")
  unresolved=$(sed -n 's/^mltrace: gpu records .*unresolved \([0-9]*\),.*/\1/p' "$log")
  if [[ -n "$records" && "$records" -ge 140 && "$unresolved" == "0" ]]; then
    echo "gpu-check: agent PASS ($records GPU records, none unresolved)"
  else
    echo "gpu-check: agent FAIL (records '${records}', unresolved '${unresolved}')"
    exit 1
  fi
  # The host's side: the sgemm op's launch is GEMM time of its step (inside the forward phase, not its input gap).
  local gemm_ms
  gemm_ms=$(sed -n 's/^  gemm  *\([0-9.]*\) ms.*/\1/p' "$log" | head -1)
  if [[ -n "$gemm_ms" ]] && awk -v g="$gemm_ms" 'BEGIN { exit !(g > 0) }'; then
    echo "gpu-check: agent host PASS (gemm ${gemm_ms} ms of host time in GEMM ops)"
  else
    echo "gpu-check: agent host FAIL (no gemm line in the agent's summary)"
    exit 1
  fi
  # Device memory: each step allocates and frees a scratch buffer and leaks 2 MiB (3 memory records at least), and
  # the leak finder names the op: "memory leak suspect: gpu_live_bytes +2097152 B/step ... top site leakyBuffer".
  local memory growth site
  memory=$(sed -n 's/^mltrace: gpu records .*memory records \([0-9]*\) .*/\1/p' "$log")
  growth=$(sed -n 's/^mltrace: memory leak suspect: gpu_live_bytes +\([0-9]*\) B\/step.*/\1/p' "$log" | head -1)
  site=$(sed -n 's/^mltrace: memory leak suspect: gpu_live_bytes .*top site \([^ ]*\) .*/\1/p' "$log" | head -1)
  if [[ -n "$memory" && "$memory" -ge 180 && -n "$growth" && "$growth" -ge 1992294 && "$growth" -le 2202009 \
    && "$site" == "leakyBuffer" ]]; then
    echo "gpu-check: agent memory PASS ($memory memory records; leak of $growth B/step named at op $site)"
  else
    echo "gpu-check: agent memory FAIL (memory records '${memory}', leak '${growth}' B/step at '${site}')"
    exit 1
  fi
}

case "${1:-run}" in
  build) build ;;
  bundle) bundle ;;
  run) run ;;
  *) echo "usage: $0 build|bundle|run" >&2; exit 2 ;;
esac
