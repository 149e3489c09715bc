package io.berth.server.cli;

import io.berth.client.CredentialSource;
import io.berth.client.Credentials;
import io.berth.client.DockerConfig;
import io.berth.client.ImageReference;
import io.berth.client.RegistryClient;
import io.berth.client.Repository;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * What one client command works with: a registry client per registry it names (sharing connections and tokens),
 * where to write, and whether to answer in JSON.
 */
final class Session implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final ClientOptions options;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean terminal;
    private final Map<String, RegistryClient> clients = new HashMap<>();
    private CredentialSource credentials;

    Session(ClientOptions options, PrintWriter out, PrintWriter err, boolean terminal) {
        this.options = options;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    PrintWriter out() {
        return out;
    }

    PrintWriter err() {
        return err;
    }

    boolean json() {
        return options.json;
    }

    /** Whether to draw progress bars: on a terminal, and not when answering JSON. */
    Progress progress(String verb) {
        return new Progress(err, verb, terminal && !options.json, options.json);
    }

    /** Prints a JSON document (for {@code --json}). */
    void printJson(Object value) {
        out.println(JSON.writeValueAsString(value instanceof JsonNode ? value : JSON.valueToTree(value)));
        out.flush();
    }

    JsonMapper jsonMapper() {
        return JSON;
    }

    /** The registries this command has talked to, for messages about them. */
    String registries() {
        return clients.isEmpty() ? "the registry" : String.join(", ", clients.keySet());
    }

    RegistryClient client(String registry) throws IOException {
        RegistryClient client = clients.get(registry);
        if (client == null) {
            client = RegistryClient.builder(registry)
                    .plainHttp(options.plainHttp)
                    .tlsVerify(!options.insecure)
                    .credentials(credentials())
                    .userAgent("berth/0.1")
                    .build();
            clients.put(registry, client);
        }
        return client;
    }

    /** Closes the registry clients, so that no HTTP client thread holds up the JVM's exit. */
    @Override
    public void close() {
        clients.values().forEach(RegistryClient::close);
        clients.clear();
    }

    Repository repository(ImageReference reference) throws IOException {
        return client(reference.registry()).repository(reference.repository());
    }

    /** Whether stdin and stdout are a terminal, where a command may ask the user (a password, a confirmation). */
    boolean terminal() {
        return terminal;
    }

    /**
     * The logins docker, podman, skopeo and {@code berth login} share: {@code --registry-config}, else
     * {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}.
     */
    DockerConfig dockerConfig() {
        return options.registryConfig != null ? DockerConfig.at(options.registryConfig) : DockerConfig.load();
    }

    /** Signs in with these credentials instead of those the options or the saved logins give; before any client. */
    void useCredentials(Credentials explicit) {
        if (!clients.isEmpty()) {
            throw new IllegalStateException("credentials must be chosen before the first request");
        }
        credentials = CredentialSource.of(explicit);
    }

    /** Whether the user gave a user name on the command line ({@code --username}). */
    boolean hasUsername() {
        return options.username != null;
    }

    /** The credentials given with {@code --username} and a password option. */
    Credentials.Basic givenCredentials() throws IOException {
        return new Credentials.Basic(options.username, password());
    }

    private CredentialSource credentials() throws IOException {
        if (credentials == null) {
            if (options.username != null) {
                credentials = CredentialSource.of(givenCredentials());
            } else {
                credentials = dockerConfig();
            }
        }
        return credentials;
    }

    /** The password given with {@code --password} or on stdin ({@code --password-stdin}), without its line end. */
    String password() throws IOException {
        if (options.password != null) {
            return options.password;
        }
        if (options.passwordStdin) {
            // Only the line end goes, as docker trims it: spaces may belong to the password.
            String text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            return text.endsWith("\n") ? text.substring(0, text.length() - 1).replaceFirst("\r$", "") : text;
        }
        throw new IllegalArgumentException("--username needs --password-stdin (or --password)");
    }
}
