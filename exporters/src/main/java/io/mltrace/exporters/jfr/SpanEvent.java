package io.mltrace.exporters.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A span inside a step: a phase, data fetch, layer or op. */
@Name("mltrace.Span")
@Label("Training Span")
@Category({"mltrace"})
@Description("A phase, data fetch, layer or tensor op of a training step recorded by mltrace")
@StackTrace(false)
public final class SpanEvent extends jdk.jfr.Event {
  @Label("Step")
  public long step;

  @Label("Kind")
  public String kind;

  @Label("Name")
  public String name;

  @Label("Start (System.nanoTime)")
  public long startNanoTime;

  @Label("Duration")
  @Timespan(Timespan.NANOSECONDS)
  public long spanDuration;

  @Label("Training Thread Id")
  public long javaThreadId;

  @Label("Span Id")
  public long spanId;

  @Label("Parent Span Id")
  public long parentSpanId;

  @Label("FLOPs")
  public long flops;

  @Label("Input Shapes")
  public String shapes;
}
