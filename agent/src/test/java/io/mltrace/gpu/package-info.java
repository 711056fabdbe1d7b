/** Test-only access to the fake libcupti from a child JVM (see {@code GpuExportIT}). */
package io.mltrace.gpu;
