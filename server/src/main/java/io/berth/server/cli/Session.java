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
final class Session {
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

    Repository repository(ImageReference reference) throws IOException {
        return client(reference.registry()).repository(reference.repository());
    }

    private CredentialSource credentials() throws IOException {
        if (credentials == null) {
            if (options.username != null) {
                credentials = CredentialSource.of(new Credentials.Basic(options.username, password()));
            } else {
                credentials = options.registryConfig == null ? DockerConfig.load()
                        : DockerConfig.at(options.registryConfig);
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
            String text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            return text.strip();
        }
        throw new IllegalArgumentException("--username needs --password-stdin (or --password)");
    }
}
