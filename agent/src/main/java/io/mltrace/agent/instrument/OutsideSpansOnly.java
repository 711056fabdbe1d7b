package io.mltrace.agent.instrument;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the advice parameter (a {@code boolean}) that says whether a root span is recorded only where no span is
 * open ({@link Hook#rootOutsideSpans}): a constant the installer binds per hook.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface OutsideSpansOnly {}
