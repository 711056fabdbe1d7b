package io.mltrace.agent.instrument;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the advice parameter (an {@code int}) that receives the hook's id in {@code io.mltrace.bootstrap.HookHealth}:
 * a constant the installer binds per hook.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface HookId {}
