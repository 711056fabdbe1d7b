/**
 * The recording bridge: the only mltrace classes that instrumented framework code calls.
 *
 * <p>The agent appends these classes to the bootstrap class path so that advice inlined into a class of any class
 * loader can reach them. They therefore depend on nothing but {@code java.base}, and they hold no exporter,
 * no Byte Buddy and no OpenTelemetry type.
 *
 * <p>The hot path is {@link io.mltrace.bootstrap.Recorder}: an instrumented method calls an {@code enter} method
 * and an {@code exit} method; each reads the clock and writes one fixed-size record into the calling thread's
 * {@link io.mltrace.bootstrap.ThreadRecorder} ring. No allocation, no lock, no call into an exporter. When the ring
 * is full the record is dropped and counted; the training thread never waits.
 */
package io.mltrace.bootstrap;
