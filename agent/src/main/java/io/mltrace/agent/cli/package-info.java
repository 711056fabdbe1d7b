/**
 * The command line ({@code java -jar mltrace-agent.jar <command>}): {@link io.mltrace.agent.cli.ExitCodes}, shared by
 * every command; the attach commands in {@code cli.attach} (the only code that needs {@code jdk.attach}) and the
 * commands that read runs back in {@code cli.analysis}.
 */
package io.mltrace.agent.cli;
