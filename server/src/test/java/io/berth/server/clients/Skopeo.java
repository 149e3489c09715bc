package io.berth.server.clients;

import java.util.ArrayList;
import java.util.List;

/**
 * skopeo as the tests run it: with {@code --insecure-policy}, so the machine's signature policy
 * ({@code /etc/containers/policy.json}) neither needs to exist nor can refuse a copy.
 */
public final class Skopeo {
    private Skopeo() {
    }

    public static Command command(String... args) {
        List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        command.addAll(List.of(args));
        return Command.of(command);
    }
}
