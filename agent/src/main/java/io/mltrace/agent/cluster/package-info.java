/**
 * Which worker of a cluster job this JVM is. {@link io.mltrace.agent.cluster.WorkerIdentity} reads it once at
 * start from what the cluster manager already put in the process: for Spark, the executor backend's command line
 * ({@code --executor-id}, {@code --hostname}, {@code --app-id}, as the standalone worker, YARN and Kubernetes
 * launch it) or the {@code SPARK_EXECUTOR_ID}/{@code SPARK_APPLICATION_ID} variables Kubernetes sets. The agent
 * puts it in {@code summary.json} ({@code worker}), in the OpenTelemetry resource, and in the executor's output
 * folder ({@code <output>/<app-id>/executor-<id>}), so that every executor of a job writes its own files.
 * {@link io.mltrace.agent.cluster.PrometheusTarget} announces a JVM's scrape endpoint to Prometheus's file-based
 * discovery with the worker's labels ({@code prometheus_sd}), so that executors sharing a machine, each on a free port,
 * are scraped under their {@code worker} label. {@link io.mltrace.agent.cluster.ClusterClock} measures each executor's
 * clock offset to the driver's (the driver answers UDP probes; its port reaches the executors through
 * {@code spark.executorEnv}), and {@link io.mltrace.agent.cluster.SparkTask} reads the partition of the Spark task a
 * step runs in, through the executor's class loader.
 */
package io.mltrace.agent.cluster;
