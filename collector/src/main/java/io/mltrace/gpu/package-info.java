/**
 * GPU activity through CUPTI: kernels, copies and memsets, each joined to the Java span that launched it.
 *
 * <p>{@link io.mltrace.gpu.GpuTracing} is the entry point: it loads the native bridge (from the jar, under
 * {@code native/linux-x86_64/}), which {@code dlopen}s libcupti; it owns the window (GPU collection runs only for
 * sampled steps or an on-demand window, toggled at step boundaries on the training thread); and it exposes the
 * records as an {@link io.mltrace.collector.ActivitySource}. While a window is open, every span pushes its id as
 * CUPTI's external correlation id ({@link io.mltrace.bootstrap.GpuCorrelation}); the bridge joins each GPU record to
 * that id on CUPTI's buffer thread, even when the correlation record arrives in a later buffer, and writes compact
 * records into a ring that {@code GpuRecordRing} drains on the collector thread.
 *
 * <p>{@link io.mltrace.collector.GpuTimeline} splits a step's GPU time into GEMM kernels, other kernels, copies by
 * direction, and idle gaps, each gap explained by what the host was doing meanwhile.
 * {@link io.mltrace.collector.GpuIdleSplit} splits each stream's idle time as Holistic Trace Analysis does (host wait,
 * kernel wait, other) and {@link io.mltrace.collector.LaunchStats} gives launch statistics per op, from the launching API
 * call the bridge joins to each record.
 *
 * <p>Device memory: {@link io.mltrace.gpu.GpuTracing#trackMemory} keeps CUPTI's memory records (allocations and
 * releases) on in every step, apart from the windows; the source hands them over as
 * {@link io.mltrace.collector.ActivityKind#GPU_ALLOC} and {@code GPU_FREE} points, which the collector turns into each
 * step's GPU memory series and, in a detailed step, the live allocations by launching op.
 *
 * <p>Unavailable is normal: no libcupti, no driver, another CUPTI subscriber, or a failing enable each give one
 * line {@code GPU tracing unavailable: <reason>}, and everything else works on.
 */
package io.mltrace.gpu;
