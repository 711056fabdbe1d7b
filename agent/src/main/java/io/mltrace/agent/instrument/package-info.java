/**
 * How a framework's hooks are declared and installed, with reference checks.
 *
 * <p>A {@link io.mltrace.agent.instrument.FrameworkInstrumentation} lists {@link io.mltrace.agent.instrument.Hook}s:
 * which types, which methods, which advice, and which other classes and methods the advice calls. The
 * {@link io.mltrace.agent.instrument.Installer} builds one Byte Buddy {@code AgentBuilder} for all of them. When a
 * type is transformed it checks each hook against that type's class loader (muzzle-style): a hook whose methods or
 * references are missing is skipped with one stderr line naming the class, and the other hooks still apply.
 */
package io.mltrace.agent.instrument;
