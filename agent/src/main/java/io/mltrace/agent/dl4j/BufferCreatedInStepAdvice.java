package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;
import org.nd4j.linalg.api.buffer.BaseDataBuffer;
import org.nd4j.linalg.api.buffer.DataBuffer;

/**
 * {@code DeallocatorService.pickObject(deallocatable)} in the default {@code memory=on}: as
 * {@link BufferCreatedAdvice}, a buffer that owns native memory outside workspaces, but counted in the open step's
 * flows only ({@code TensorLife.createdInStep}: created bytes, created in the step and alive at its end), not followed
 * to its collection, and only from {@link TensorLife#STEP_ONLY_MIN_BYTES} up: a DL4J step makes about a hundred
 * buffers of tens of bytes (shape descriptors, scalars), and an identity hash and a table probe for each cost more
 * than the bytes are worth. A smaller buffer, or one created outside a step, costs two reads and a test.
 */
final class BufferCreatedInStepAdvice {
  private BufferCreatedInStepAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.Argument(0) Object deallocatable) {
    if (HookHealth.isOff(hook) || !(deallocatable instanceof BaseDataBuffer)) {
      return;
    }
    // The class, not the DataBuffer interface: ND4J's buffers (a dozen classes, one per data type) all extend it
    // without overriding these methods, so the calls below bind statically instead of through an interface stub.
    BaseDataBuffer buffer = (BaseDataBuffer) deallocatable;
    long bytes = buffer.length() * buffer.getElementSize();
    if (bytes < TensorLife.STEP_ONLY_MIN_BYTES || !TensorLife.inStep()) {
      return;
    }
    DataBuffer wrapped = buffer.underlyingDataBuffer();
    if ((wrapped == null || wrapped == buffer) && !buffer.isAttached() && !buffer.isConstant()) {
      TensorLife.createdInStep(buffer, bytes);
    }
  }
}
