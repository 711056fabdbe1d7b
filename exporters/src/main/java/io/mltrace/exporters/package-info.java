/**
 * Step sinks that write what the collector assembles: a console line per step and a summary at exit
 * ({@link io.mltrace.exporters.ConsoleReporter}), a Chrome/Perfetto trace ({@link io.mltrace.exporters.ChromeTraceWriter})
 * and the machine-readable {@code summary.json} ({@link io.mltrace.exporters.SummaryWriter}).
 *
 * <p>All of them run on the collector thread. Files are written to a temporary name and moved into place, so a
 * reader never sees half a file.
 */
package io.mltrace.exporters;
