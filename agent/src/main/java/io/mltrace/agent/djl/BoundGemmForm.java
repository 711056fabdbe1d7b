package io.mltrace.agent.djl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the {@link GemmAdvice} parameter (an {@code int}) that receives the op's {@code GemmShapes} form (how its
 * FLOPs follow from its two shapes): a constant the installer binds per hook.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@interface BoundGemmForm {}
