package io.mltrace.agent.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * This JVM's place in a Spark job: an executor (with its id, the application's id and its host), the driver
 * ({@code spark-submit}), or not a Spark process at all ({@link #NONE}). Immutable; read once at agent start.
 */
public final class WorkerIdentity {
  /** A JVM that is neither a Spark executor nor a driver: no identity is added anywhere. */
  public static final WorkerIdentity NONE = new WorkerIdentity("", "", "", "", -1, "");

  static final String EXECUTOR_BACKEND_PACKAGE = "org.apache.spark.executor.";
  static final String SPARK_SUBMIT = "org.apache.spark.deploy.SparkSubmit";
  /**
   * The driver's JVM in cluster deploy mode: a standalone worker launches it through {@code DriverWrapper}, YARN as
   * its {@code ApplicationMaster}. Either way the application's own {@code main} runs there, as under SparkSubmit.
   */
  static final java.util.Set<String> CLUSTER_MODE_DRIVERS = java.util.Set.of(
      "org.apache.spark.deploy.worker.DriverWrapper", "org.apache.spark.deploy.yarn.ApplicationMaster");

  private final String role;
  private final String executorId;
  private final String appId;
  private final String host;
  private final long pid;
  /** An executor's driver (from its {@code --driver-url}); "" elsewhere. */
  private final String driverHost;

  private WorkerIdentity(String role, String executorId, String appId, String host, long pid, String driverHost) {
    this.role = role;
    this.driverHost = driverHost;
    this.executorId = executorId;
    this.appId = appId;
    this.host = host;
    this.pid = pid;
  }

  /** Reads this process: its command line ({@code sun.java.command}), environment, pid and host name. */
  public static WorkerIdentity ofThisProcess() {
    try {
      String command = System.getProperty("sun.java.command", "");
      Map<String, String> env = System.getenv();
      if (!mayBeSpark(command, env)) {
        // Premain's common case, answered without a regular expression, ProcessHandle or a lambda (issue 22: 7 ms).
        return NONE;
      }
      return detect(command, env, ProcessHandle.current().pid(), WorkerIdentity::localHostName);
    } catch (Throwable t) {
      return NONE; // identity is a label: never worth failing the agent's start for
    }
  }

  /**
   * False when {@link #detect} would answer {@link #NONE} whatever else it read: the main class is not Spark's and
   * no executor id is in the environment.
   */
  static boolean mayBeSpark(String javaCommand, Map<String, String> env) {
    return javaCommand.strip().startsWith("org.apache.spark.")
        || !env.getOrDefault("SPARK_EXECUTOR_ID", "").trim().isEmpty();
  }

  /**
   * @param javaCommand the main class and its arguments, as {@code sun.java.command} holds them
   * @param fallbackHost this machine's name, read only for a Spark process whose command line names no host
   */
  static WorkerIdentity detect(String javaCommand, Map<String, String> env, long pid,
      Supplier<String> fallbackHost) {
    String[] words = javaCommand.trim().split("\\s+");
    String main = words.length > 0 ? words[0] : "";
    boolean executorBackend = main.startsWith(EXECUTOR_BACKEND_PACKAGE) && main.endsWith("ExecutorBackend");
    String envExecutor = env.getOrDefault("SPARK_EXECUTOR_ID", "").trim();
    if (executorBackend || !envExecutor.isEmpty()) {
      String id = first(argument(words, "--executor-id"), envExecutor);
      String app = first(argument(words, "--app-id"), env.getOrDefault("SPARK_APPLICATION_ID", "").trim());
      String named = argument(words, "--hostname");
      String host = named.isEmpty() ? fallbackHost.get() : named;
      return new WorkerIdentity("executor", id.isEmpty() ? "unknown" : id, app.isEmpty() ? "unknown-app" : app,
          host, pid, ClusterClock.hostOfDriverUrl(argument(words, "--driver-url")));
    }
    if (main.equals(SPARK_SUBMIT) || CLUSTER_MODE_DRIVERS.contains(main)) {
      return new WorkerIdentity("driver", "driver", "", fallbackHost.get(), pid, "");
    }
    return NONE;
  }

  private static String argument(String[] words, String name) {
    for (int i = 0; i + 1 < words.length; i++) {
      if (words[i].equals(name)) {
        return words[i + 1];
      }
    }
    return "";
  }

  private static String first(String a, String b) {
    return a.isEmpty() ? b : a;
  }

  /** Without a DNS look-up, which can stall a misconfigured host for seconds: the kernel's name, or HOSTNAME. */
  private static String localHostName() {
    try {
      Path kernel = Paths.get("/proc/sys/kernel/hostname");
      if (Files.isReadable(kernel)) {
        String name = new String(Files.readAllBytes(kernel), StandardCharsets.UTF_8).trim();
        if (!name.isEmpty()) {
          return name;
        }
      }
    } catch (Exception e) {
      // fall through
    }
    String env = System.getenv("HOSTNAME");
    return env == null ? "" : env.trim();
  }

  public boolean isExecutor() {
    return role.equals("executor");
  }

  public boolean isDriver() {
    return role.equals("driver");
  }

  /** An executor's driver host, from its {@code --driver-url}; "" for a driver, another JVM, or no such argument. */
  public String driverHost() {
    return driverHost;
  }

  public boolean isNone() {
    return role.isEmpty();
  }

  /**
   * Where this JVM writes: an executor gets its own folder under the configured one, {@code
   * <output>/<app-id>/executor-<id>}, because every executor of a job is started with the same options.
   */
  public Path outputFolder(Path configured) {
    return isExecutor() ? configured.resolve(safe(appId)).resolve("executor-" + safe(executorId)) : configured;
  }

  /** A path segment that cannot climb out of the output folder. */
  private static String safe(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    return cleaned.isEmpty() || cleaned.equals(".") || cleaned.equals("..") ? "_" : cleaned;
  }

  /** summary.json's {@code worker} object; empty for {@link #NONE}. */
  public Map<String, String> summaryFields() {
    Map<String, String> m = new LinkedHashMap<>();
    if (isNone()) {
      return m;
    }
    m.put("role", role);
    m.put("executor_id", executorId);
    if (!appId.isEmpty()) {
      m.put("app_id", appId);
    }
    m.put("host", host);
    m.put("pid", Long.toString(pid));
    return Collections.unmodifiableMap(m);
  }

  /**
   * The labels Prometheus attaches to every series it scrapes from this JVM (through the file it discovers it by):
   * {@code worker} (the executor id, {@code driver}, or {@code jvm-<pid>} outside Spark), {@code app_id} when
   * known, {@code role} and {@code pid}.
   */
  public Map<String, String> prometheusLabels(long thisPid) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("worker", isNone() ? "jvm-" + thisPid : executorId);
    if (!appId.isEmpty()) {
      m.put("app_id", appId);
    }
    m.put("role", isNone() ? "jvm" : role);
    m.put("pid", Long.toString(isNone() ? thisPid : pid));
    return Collections.unmodifiableMap(m);
  }

  /** The host name the cluster manager gave this worker (or this machine's); empty outside Spark. */
  public String host() {
    return host;
  }

  /**
   * OpenTelemetry resource attributes: the semantic conventions' {@code host.name}, {@code process.pid} and
   * {@code service.instance.id}, and Spark's own ids; empty for {@link #NONE}.
   */
  public Map<String, String> resourceAttributes() {
    Map<String, String> m = new LinkedHashMap<>();
    if (isNone()) {
      return m;
    }
    m.put("host.name", host);
    m.put("process.pid", Long.toString(pid));
    m.put("service.instance.id", (appId.isEmpty() ? "" : appId + "/") + (isExecutor() ? "executor-" : "")
        + executorId + "@" + host + ":" + pid);
    m.put("spark.role", role);
    m.put("spark.executor.id", executorId);
    if (!appId.isEmpty()) {
      m.put("spark.app.id", appId);
    }
    return Collections.unmodifiableMap(m);
  }

  @Override
  public String toString() {
    return isNone() ? "not a Spark process" : summaryFields().toString();
  }
}
