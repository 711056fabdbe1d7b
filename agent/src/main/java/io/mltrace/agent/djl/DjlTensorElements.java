package io.mltrace.agent.djl;

import io.mltrace.bootstrap.TensorLife;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * A PyTorch tensor's element count for the tensor hooks, read through DJL's own native binding
 * ({@code PyTorchLibrary.torchSizes(handle)}) instead of {@code NDArray.getShape()}: DJL builds each {@code Shape}
 * through a stream, and the creation hook read the shape of every array DJL made (about 40 a step of the DJL MLP),
 * most of which DJL itself never asks for. That cost 14 us a step on the training thread (async-profiler, the first
 * 3000 steps); the native call alone is a fraction of it.
 *
 * <p>The binding is package-private in DJL, so it is reached through {@link MethodHandles#privateLookupIn} from the
 * first tensor's class loader (DJL on the class path: its packages are open). Where that fails (another DJL
 * version, DJL in a named module that does not open the package) every count is -1 and the hooks read the shape as
 * before. Runs on the training thread; never throws.
 */
final class DjlTensorElements implements TensorLife.ElementCounts {
  static final String LIBRARY = "ai.djl.pytorch.jni.PyTorchLibrary";

  /** {@code torchSizes} bound to DJL's library instance, typed {@code (long)long[]}; null until resolved. */
  private volatile MethodHandle sizes;
  private volatile boolean unavailable;

  @Override
  public long elements(Object tensor, long handle) {
    MethodHandle h = sizes;
    if (h == null) {
      if (unavailable) {
        return -1;
      }
      h = resolve(tensor.getClass().getClassLoader());
      if (h == null) {
        unavailable = true;
        return -1;
      }
      sizes = h;
    }
    try {
      long[] dims = (long[]) h.invokeExact(handle);
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    } catch (Throwable e) {
      return -1; // the native library not loaded, a stale handle: the hook reads the shape instead
    }
  }

  /** DJL's {@code torchSizes} bound to its library instance, from {@code loader}; null when it cannot be reached. */
  static MethodHandle resolve(ClassLoader loader) {
    try {
      Class<?> library = Class.forName(LIBRARY, false, loader);
      MethodHandles.Lookup in = MethodHandles.privateLookupIn(library, MethodHandles.lookup());
      Object instance = in.findStaticGetter(library, "LIB", library).invoke();
      return in.findVirtual(library, "torchSizes", MethodType.methodType(long[].class, long.class))
          .bindTo(instance);
    } catch (Throwable e) {
      return null;
    }
  }
}
