package io.mltrace.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A periodic marker carrying the agent's clock at commit. When the stream has delivered a heartbeat committed at
 * time T, every event that ended (and so was committed) before T has been delivered too: thread buffers are flushed
 * together, so the heartbeat is the stream's watermark.
 */
@Name("mltrace.Heartbeat")
@Label("mltrace Heartbeat")
@Category({"mltrace"})
@Description("Marks how far the JFR stream has delivered, on the System.nanoTime clock")
@StackTrace(false)
public final class HeartbeatEvent extends jdk.jfr.Event {
  @Label("System.nanoTime at commit")
  public long nanoTime;
}
