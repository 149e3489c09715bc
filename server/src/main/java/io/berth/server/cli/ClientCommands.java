package io.berth.server.cli;

import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;

/** The client commands of the {@code berth} launcher: images and artifacts on any OCI registry. */
public final class ClientCommands {
    /** Fresh instances for each command line: picocli fills a command's fields, so two runs must not share one. */
    private static final List<Supplier<Object>> ALL = List.of(PushCommand::new, PullCommand::new, TagCommand::new,
            TagsCommand::new, CatalogCommand::new, InspectCommand::new, DeleteCommand::new, LoginCommand::new,
            LogoutCommand::new);

    private ClientCommands() {
    }

    public static void addTo(CommandLine commandLine) {
        for (Supplier<Object> command : ALL) {
            commandLine.addSubcommand(command.get());
        }
    }
}
