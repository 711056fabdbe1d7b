package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;
import org.nd4j.linalg.api.buffer.BaseDataBuffer;
import org.nd4j.linalg.api.buffer.DataBuffer;

/**
 * {@code DeallocatorService.pickObject(deallocatable)}: ND4J registers every buffer that owns native memory outside
 * workspaces there, to free it once the buffer is garbage-collected. A buffer that is neither a view of another nor
 * in a workspace is a tensor of length × element size bytes, freed when closed or collected
 * ({@code TensorLife.createdCollectable}: followed through a weak reference, never kept alive).
 */
final class BufferCreatedAdvice {
  private BufferCreatedAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.Argument(0) Object deallocatable) {
    if (HookHealth.isOff(hook) || !(deallocatable instanceof BaseDataBuffer)) {
      return;
    }
    // The class, not the DataBuffer interface: ND4J's buffers (a dozen classes, one per data type) all extend it
    // without overriding these methods, so the calls below bind statically instead of through an interface stub.
    BaseDataBuffer buffer = (BaseDataBuffer) deallocatable;
    DataBuffer wrapped = buffer.underlyingDataBuffer();
    if ((wrapped == null || wrapped == buffer) && !buffer.isAttached() && !buffer.isConstant()) {
      TensorLife.createdCollectable(buffer, buffer.length() * buffer.getElementSize());
    }
  }
}
