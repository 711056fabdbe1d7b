package io.mltrace.exporters.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** One training step. */
@Name("mltrace.Step")
@Label("Training Step")
@Category({"mltrace"})
@Description("One training iteration recorded by mltrace, with its time breakdown")
@StackTrace(false)
public final class StepEvent extends jdk.jfr.Event {
  @Label("Step")
  public long step;

  @Label("Start (System.nanoTime)")
  public long startNanoTime;

  @Label("Wall Time")
  @Timespan(Timespan.NANOSECONDS)
  public long wall;

  @Label("Training Thread Id")
  public long javaThreadId;

  @Label("GEMM FLOPs")
  public long flops;

  @Label("Ops")
  public long ops;
}
