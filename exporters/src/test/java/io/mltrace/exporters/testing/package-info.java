/** Test helpers shared by the exporter tests: real steps recorded through the recorder and the collector. */
package io.mltrace.exporters.testing;
