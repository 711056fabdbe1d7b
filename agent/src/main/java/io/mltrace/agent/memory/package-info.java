/**
 * Memory per step on the agent's side: the readings the bridge takes when a step opens and closes
 * ({@link io.mltrace.bootstrap.MemoryGauges}), installed here because they need JDK modules the bridge must not
 * touch ({@code jdk.management}) or framework classes it cannot see.
 */
package io.mltrace.agent.memory;
