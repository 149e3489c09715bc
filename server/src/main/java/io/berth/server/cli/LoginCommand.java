package io.berth.server.cli;

import io.berth.client.Credentials;
import io.berth.client.DockerConfig;
import java.io.Console;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code berth login REGISTRY}: checks credentials against the registry, then saves them in Docker's
 * {@code config.json} (or the credential helper it names), where docker, podman, skopeo and every berth command find
 * them. A wrong password is never saved.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = "Signs in to a registry and saves the login in Docker's config.json, shared with docker, "
                + "podman and skopeo.")
final class LoginCommand extends ClientCommand {
    @Parameters(paramLabel = "REGISTRY", description = "HOST[:PORT]")
    String registry;

    @Override
    int run(Session session) throws Exception {
        String host = RegistryArgument.parse(registry);
        Credentials.Basic credentials = credentials(session);
        session.useCredentials(credentials);
        session.client(host).ping();
        DockerConfig config = session.dockerConfig();
        config.login(host, credentials);
        if (session.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("registry", host);
            json.put("username", credentials.username());
            json.put("config", config.file().toString());
            session.printJson(json);
        } else {
            session.out().println("Login succeeded: " + credentials.username() + " at " + host + " (saved in "
                    + config.file() + ")");
        }
        return ExitCodes.OK;
    }

    /** From the options, asking on a terminal for what they leave out. */
    private Credentials.Basic credentials(Session session) throws Exception {
        boolean passwordGiven = options.password != null || options.passwordStdin;
        if (session.hasUsername() && passwordGiven) {
            return session.givenCredentials();
        }
        if (!session.terminal()) {
            throw new IllegalArgumentException("not on a terminal: give --username and --password-stdin (or "
                    + "--password)");
        }
        if (options.passwordStdin) {
            throw new IllegalArgumentException("--password-stdin needs --username");
        }
        Console console = System.console();
        String username = options.username;
        if (username == null) {
            username = console.readLine("Username: ");
            if (username == null || username.isBlank()) {
                throw new IllegalArgumentException("a user name is needed");
            }
            username = username.strip();
        }
        if (options.password != null) {
            return new Credentials.Basic(username, options.password);
        }
        char[] password = console.readPassword("Password: ");
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("a password is needed");
        }
        return new Credentials.Basic(username, new String(password));
    }
}
