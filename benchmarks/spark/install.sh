#!/usr/bin/env bash
# Installs a Spark distribution (Scala 2.12) into the git-ignored .tools/spark-VERSION, from the pyspark source
# package on PyPI, which carries the distribution's bin/, sbin/ and jars/. Idempotent. The version is the parent
# pom's spark.version: 3.5.9, the newest Spark with Scala 2.12 that supports Java 17. dl4j-spark_2.12:1.0.0-M2 was
# built against 3.1.2, but 3.1's Scala 2.12.10 fails every task on Java 17 (lambda deserialization).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${SPARK_VERSION:-3.5.9}
DEST=.tools/spark-$VERSION
[[ -f $DEST/.complete ]] && { echo "$DEST"; exit 0; }
command -v pip3 >/dev/null 2>&1 || { echo "spark install: pip3 is required to fetch pyspark==$VERSION" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --no-binary: pyspark 3.x is published as a source package only; pip reads its metadata, we only unpack it.
pip3 download -q --disable-pip-version-check --no-deps --no-binary :all: \
  -d "$tmp" "pyspark==$VERSION" >&2
tar xzf "$tmp/pyspark-$VERSION.tar.gz" -C "$tmp" "pyspark-$VERSION/deps/bin" "pyspark-$VERSION/deps/sbin" \
  "pyspark-$VERSION/deps/jars"
rm -rf "$DEST" && mkdir -p "$DEST"
mv "$tmp/pyspark-$VERSION/deps/bin" "$tmp/pyspark-$VERSION/deps/sbin" "$tmp/pyspark-$VERSION/deps/jars" "$DEST/"
touch "$DEST/.complete"
echo "$DEST"
