package io.berth.server.cli;

import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;

/** The client commands of the {@code berth} launcher: images and artifacts on any OCI registry. */
public final class ClientCommands {
    /**
     * New command objects for each command line: picocli keeps a command's parsed options in the object, so one
     * shared by two command lines (tests run many in one JVM) would carry one's options into the other.
     */
    private static final List<Supplier<Object>> ALL = List.of(PushCommand::new, PullCommand::new,
            CopyCommand::new, TagCommand::new, TagsCommand::new, CatalogCommand::new, InspectCommand::new,
            DeleteCommand::new, AttachCommand::new, DiscoverCommand::new, LoginCommand::new, LogoutCommand::new);

    private ClientCommands() {
    }

    public static void addTo(CommandLine commandLine) {
        for (Supplier<Object> command : ALL) {
            commandLine.addSubcommand(command.get());
        }
    }
}
