/**
 * How a framework's hooks are declared, checked and installed.
 *
 * <p>A {@link io.mltrace.agent.instrument.FrameworkInstrumentation} lists {@link io.mltrace.agent.instrument.Hook}s:
 * which types, which methods, and which advice: a span of a fixed kind and name (one shared advice class,
 * {@code SpanAdvice}, with the kind and name bound per hook through Byte Buddy's
 * {@code Advice.withCustomMapping()}; {@code RootAdvice} likewise for root spans outside steps: inference and
 * evaluation calls), or an advice class of its own. The {@link io.mltrace.agent.instrument.Installer}
 * builds one Byte Buddy {@code AgentBuilder} for all of them.
 *
 * <p>Before a hook is applied to a type, it is checked against that type's class loader (the OpenTelemetry agent's
 * "muzzle" idea): its methods must exist, and so must every framework class, method and field its advice's
 * bytecode refers to ({@code AdviceReferences}, read once per advice with ASM; checked by {@code ReferenceCheck}
 * through a type pool that loads nothing). A hook that fails the check is skipped with one stderr line naming what
 * is missing, and the other hooks still apply. No hook declares its references by hand.
 *
 * <p>Each hook has an id in {@code io.mltrace.bootstrap.HookHealth}, bound into its advice ({@link
 * io.mltrace.agent.instrument.HookId}); its advice is compiled with an exception handler that reports a failure
 * there instead of dropping it, and after repeated failures the hook turns itself off with one stderr line.
 *
 * <p>At launch, what Byte Buddy made of each class is kept on disk ({@code WovenCache}, read and written by
 * {@code CachedWeaving} in front of Byte Buddy's transformer): the next JVM with the same agent build, JDK and hook
 * options loads those classes as they were woven, registering the same hook ids first, and builds Byte Buddy only
 * for a class the cache does not know.
 */
package io.mltrace.agent.instrument;
