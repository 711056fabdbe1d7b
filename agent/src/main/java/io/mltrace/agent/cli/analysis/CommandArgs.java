package io.mltrace.agent.cli.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An analysis command's arguments: positional ones (runs, folders) and {@code --flag value} options among a known
 * set. An unknown flag or a flag without its value is an {@link IllegalArgumentException} with the reason, which the
 * command prints with its usage.
 */
final class CommandArgs {
  final List<String> positional = new ArrayList<>();
  final Map<String, String> options = new LinkedHashMap<>();

  private CommandArgs() {}

  static CommandArgs parse(List<String> args, Set<String> flags) {
    CommandArgs parsed = new CommandArgs();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        parsed.positional.add(arg);
        continue;
      }
      if (!flags.contains(arg)) {
        throw new IllegalArgumentException("unknown option " + arg);
      }
      if (i + 1 >= args.size()) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      parsed.options.put(arg, args.get(++i));
    }
    return parsed;
  }

  /** The option's value, or {@code fallback} when it was not given. */
  String get(String flag, String fallback) {
    return options.getOrDefault(flag, fallback);
  }
}
