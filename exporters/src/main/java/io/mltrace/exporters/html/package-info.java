/**
 * The self-contained HTML report ({@code report.html}): the data of the run is embedded as JSON in a template
 * (resource {@code report-template.html}) whose inline script draws the charts as SVG when the file is opened.
 * Nothing is fetched over the network at view time. Runs on the collector thread.
 */
package io.mltrace.exporters.html;
