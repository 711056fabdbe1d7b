/**
 * A Deeplearning4j MLP trained on a Spark standalone cluster with dl4j-spark ({@link
 * io.mltrace.examples.spark.SparkMlp}): synthetic data made on the driver, trained by parameter averaging. Submitted
 * with {@code spark-submit} to the cluster that {@code benchmarks/spark/cluster.sh} starts (docs/cluster.md).
 */
package io.mltrace.examples.spark;
