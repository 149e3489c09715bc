package io.berth.server.cli;

import java.util.List;
import picocli.CommandLine;

/** The client commands of the {@code berth} launcher: images and artifacts on any OCI registry. */
public final class ClientCommands {
    private static final List<Object> ALL = List.of(new TagsCommand(), new CatalogCommand());

    private ClientCommands() {
    }

    public static void addTo(CommandLine commandLine) {
        for (Object command : ALL) {
            commandLine.addSubcommand(command);
        }
    }
}
