/** What the example jobs share: their command-line arguments ({@link io.mltrace.examples.Args}). */
package io.mltrace.examples;
