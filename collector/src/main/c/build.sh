#!/usr/bin/env bash
# Builds the CUPTI bridge into the collector jar (native/linux-x86_64/), the fake libcupti the tests use, and
# checks the bridge's CUPTI offsets against every set of real CUPTI headers it finds. Run by the Maven build
# (collector/pom.xml, process-test-classes... see there) as: build.sh <module dir> <build dir> <java home>.
#
# Where gcc or the JNI headers are missing the native parts are skipped with one line: the build passes and the
# agent reports "GPU tracing unavailable". A failed offset check fails the build: the bridge would misread records.
set -euo pipefail
module=$1
build=$2
java_home=$3
src="$module/src/main/c"
test_src="$module/src/test/c"
out="$build/classes/native/linux-x86_64"
test_out="$build/native-test"
root="$(cd "$module/.." && pwd)"

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "native: not Linux x86-64; the CUPTI bridge is not built (GPU tracing will be unavailable)"
  exit 0
fi
if ! command -v gcc >/dev/null 2>&1; then
  echo "native: gcc not found; the CUPTI bridge is not built (GPU tracing will be unavailable)"
  exit 0
fi
jni=""
for dir in "$java_home/include" "$java_home/../include" "${JAVA_HOME:-/nonexistent}/include"; do
  if [[ -f "$dir/jni.h" ]]; then
    jni="$dir"
    break
  fi
done
if [[ -z "$jni" ]]; then
  echo "native: jni.h not found under $java_home; the CUPTI bridge is not built (GPU tracing will be unavailable)"
  exit 0
fi

flags=(-std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -I"$jni" -I"$jni/linux")
mkdir -p "$out" "$test_out"
# The bridge exports its JNI functions only; the fake exports the CUPTI functions it stands in for.
gcc "${flags[@]}" -fvisibility=hidden -o "$out/libmltrace_cupti.so" "$src/mltrace_cupti.c" "$src/gpu_records.c" \
  -ldl -lpthread
gcc "${flags[@]}" -I"$test_src" -o "$test_out/libcupti_fake.so" "$test_src/fake_cupti.c" "$test_src/fake_jni.c" \
  -lpthread

# Offset checks against real CUPTI headers: a CUDA toolkit, and the CUPTI wheels .ci/setup fetches into .tools/.
checked=0
report="$build/native-offset-check.txt"
: > "$report"
candidates=("${CUDA_HOME:-/nonexistent}/include" /usr/local/cuda/include /usr/local/cuda-*/include
  "$root/.tools/cupti/cu13/nvidia/cu13/include" "$root/.tools/cupti/cu12/nvidia/cuda_cupti/include")
for inc in "${candidates[@]}"; do
  [[ -f "$inc/cupti_activity.h" ]] || continue
  version=$(sed -n 's/^#define CUPTI_API_VERSION \([0-9]*\).*/\1/p' "$inc/cupti_version.h" 2>/dev/null | head -1)
  # The wheels ship no cuda.h: the stubs supply the driver types (real ones win where the toolkit has them).
  gcc -std=c11 -fsyntax-only -I"$inc" -I"$src/check-stubs" -I"$src" "$src/offset_check.c"
  echo "native: CUPTI offsets match $inc (CUPTI_API_VERSION ${version:-?})" | tee -a "$report"
  checked=$((checked + 1))
done
if [[ $checked -eq 0 ]]; then
  echo "native: no CUPTI headers found (run .ci/setup to fetch them); offset checks skipped" | tee -a "$report"
fi
