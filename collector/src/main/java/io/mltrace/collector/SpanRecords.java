package io.mltrace.collector;

import io.mltrace.bootstrap.Slots;
import java.util.Arrays;

/**
 * Reads the fields of one ring record (layout: {@link Slots}) into the collector's model, on the collector thread:
 * a {@link Span} from a span record, the attributes of a step record.
 */
final class SpanRecords {
  private static final long[][] NO_SHAPES = new long[0][];

  private SpanRecords() {}

  /** The span that the record at {@code r[base]} describes; {@code name} as the ring interned it. */
  static Span span(long[] r, int base, String name, long threadId) {
    long header = r[base + Slots.HEADER];
    boolean opTime = Slots.hasOpTime(header);
    long[][] shapes = opTime ? NO_SHAPES : shapes(header, r, base);
    return new Span(header, name, threadId, r[base + Slots.START], r[base + Slots.END], r[base + Slots.SPAN_ID],
        r[base + Slots.PARENT_ID], r[base + Slots.FLOPS], r[base + Slots.BYTES], shapes,
        opTime ? Arrays.copyOfRange(r, base + Slots.OP_TIME, base + Slots.OP_TIMING_NS + 1) : null);
  }

  /** A step record's framework-specific attributes ({@code Slots.ATTR_*}). */
  static long[] stepAttributes(long[] r, int base) {
    return Arrays.copyOfRange(r, base + Slots.STEP_ATTRIBUTES, base + Slots.STEP_ATTRIBUTES + Slots.STEP_ATTRIBUTE_COUNT);
  }

  /** The up to three input shapes whose ranks the header holds, from the record's dimension slots. */
  private static long[][] shapes(long header, long[] r, int base) {
    int count = 0;
    while (count < 3 && Slots.rank(header, count) > 0) {
      count++;
    }
    if (count == 0) {
      return NO_SHAPES;
    }
    long[][] shapes = new long[count][];
    int d = base + Slots.DIMS;
    for (int i = 0; i < count; i++) {
      int rank = Slots.rank(header, i);
      shapes[i] = new long[rank];
      System.arraycopy(r, d, shapes[i], 0, rank);
      d += rank;
    }
    return shapes;
  }
}
