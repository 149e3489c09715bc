package io.berth.server.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every client command shares: how to reach registries, how to sign in, how to answer. */
public final class ClientOptions {
    @Option(names = "--plain-http",
            description = "Speak plain HTTP, not HTTPS, to the registries (one on loopback without TLS, say).")
    boolean plainHttp;

    @Option(names = "--insecure", description = "Do not check the registries' TLS certificates.")
    boolean insecure;

    @Option(names = {"-u", "--username"}, paramLabel = "USER",
            description = "Sign in as USER instead of with the login saved by `berth login` (or docker login).")
    String username;

    @Option(names = {"-p", "--password"}, paramLabel = "PASSWORD",
            description = "The password or token for --username (prefer --password-stdin: a command line is seen "
                    + "by other users of the machine).")
    String password;

    @Option(names = "--password-stdin", description = "Read the password or token for --username from stdin.")
    boolean passwordStdin;

    @Option(names = "--registry-config", paramLabel = "FILE",
            description = "Docker's config.json to read logins from (default: $DOCKER_CONFIG/config.json, else "
                    + "~/.docker/config.json).")
    Path registryConfig;

    @Option(names = "--json", description = "Answer in JSON, for scripts.")
    boolean json;
}
