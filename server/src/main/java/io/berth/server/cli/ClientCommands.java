package io.berth.server.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The client commands of the {@code berth} launcher: images and artifacts on any OCI registry. */
public final class ClientCommands {
    /**
     * New command objects for each command line: picocli keeps a command's parsed options in the object, so one
     * shared by two command lines (tests run many in one JVM) would carry one's options into the other.
     */
    private static final Map<String, Supplier<Object>> ALL = commands(PushCommand::new, PullCommand::new,
            CopyCommand::new, TagCommand::new, TagsCommand::new, CatalogCommand::new, InspectCommand::new,
            DeleteCommand::new, AttachCommand::new, DiscoverCommand::new, LoginCommand::new, LogoutCommand::new);

    private ClientCommands() {
    }

    /** Adds every client command. */
    public static void addTo(CommandLine commandLine) {
        for (Supplier<Object> command : ALL.values()) {
            commandLine.addSubcommand(command.get());
        }
    }

    /** Adds the one client command called {@code name}. */
    public static void addTo(CommandLine commandLine, String name) {
        commandLine.addSubcommand(ALL.get(name).get());
    }

    /** Whether {@code name} is a client command's name. */
    public static boolean has(String name) {
        return ALL.containsKey(name);
    }

    @SafeVarargs
    private static Map<String, Supplier<Object>> commands(Supplier<Object>... commands) {
        Map<String, Supplier<Object>> byName = new LinkedHashMap<>();
        for (Supplier<Object> command : commands) {
            byName.put(command.get().getClass().getAnnotation(Command.class).name(), command);
        }
        return byName;
    }
}
