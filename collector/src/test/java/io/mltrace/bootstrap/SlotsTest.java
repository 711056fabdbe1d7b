package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.Span;
import org.junit.jupiter.api.Test;

/** The record header's fields, which the DJL and DL4J hooks both fill, must never overlap. */
class SlotsTest {
  @Test
  void headerFieldsDoNotOverlap() {
    // Kind in bits 0-7, ranks in 8-19, element type in 20-27, the estimate flag in bit 28: all at their maximum.
    long header = Slots.withDtype(Slots.header(0xff, 15, 15, 15) | Slots.FLAG_ESTIMATE, 0xff);
    assertEquals(0xff, Slots.kind(header));
    assertEquals(15, Slots.rank(header, 0));
    assertEquals(15, Slots.rank(header, 1));
    assertEquals(15, Slots.rank(header, 2));
    assertEquals(0xff, Slots.dtype(header));
    assertTrue(Slots.isEstimate(header));
    assertEquals((1L << 29) - 1, header, "the fields tile bits 0-28");

    long measured = Slots.withDtype(Slots.header(Kind.OP_GEMM, 2, 2, 0), DataTypes.BFLOAT16);
    assertFalse(Slots.isEstimate(measured), "a type code never reads as the estimate flag");
    assertEquals(DataTypes.BFLOAT16, Slots.dtype(measured));
    assertEquals(2, Slots.rank(measured, 1));
    assertEquals(0, Slots.dtype(Slots.header(Kind.OP_GEMM, 15, 15, 15) | Slots.FLAG_ESTIMATE));
  }

  @Test
  void spansDecodeTheSameFieldsFromEitherConstructor() {
    long header = Slots.withDtype(Slots.header(Kind.OP_GEMM, 0, 0, 0) | Slots.FLAG_ESTIMATE, DataTypes.FLOAT32);
    Span fromRecord = new Span(header, "mm", 1, 0, 1, 1, 0, 0, 0, new long[0][]);
    assertEquals(Kind.OP_GEMM, fromRecord.kind());
    assertEquals(DataTypes.FLOAT32, fromRecord.dtype());
    assertTrue(fromRecord.estimated());
    Span typed = new Span(Kind.OP_GEMM, "mm", 1, 0, 1, 1, 0, 0, 0, new long[0][], DataTypes.FLOAT16);
    assertEquals(Kind.OP_GEMM, typed.kind());
    assertEquals(DataTypes.FLOAT16, typed.dtype());
    assertFalse(typed.estimated());
  }
}
