package io.berth.server.clients;

import io.berth.server.Config;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import tools.jackson.databind.JsonNode;

/**
 * The registry a client test class pushes to and pulls from: SQLite-backed, declared as a static
 * {@code @RegisterExtension} field, so each class has its own. An open registry serves the whole class, started
 * before its first test and closed after its last; a {@linkplain #secured secured} one is started afresh for each
 * test. The programs the class runs are looked for first, so a class whose programs are missing is skipped (or
 * fails under CI, see {@link ExternalTools#require}) before any registry is started.
 */
final class ClientTestRegistry implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private final List<String> programs;
    private final UnaryOperator<Config> config;
    private final boolean perTest;
    private TestRegistry registry;
    private RegistryHttp http;
    private AuditCapture audit;

    /** For a client that is a library on the test class path. */
    ClientTestRegistry() {
        this(List.of(), UnaryOperator.identity(), false);
    }

    private ClientTestRegistry(List<String> programs, UnaryOperator<Config> config, boolean perTest) {
        this.programs = programs;
        this.config = config;
        this.perTest = perTest;
    }

    /** For a client that is a program on the PATH, and any other program the tests run to check its work. */
    static ClientTestRegistry requiring(String... programs) {
        return new ClientTestRegistry(List.of(programs), UnaryOperator.identity(), false);
    }

    /** Like {@link #requiring}, on a registry whose config {@code config} adjusts. */
    static ClientTestRegistry configured(UnaryOperator<Config> config, String... programs) {
        return new ClientTestRegistry(List.of(programs), config, false);
    }

    /**
     * A registry with {@link AuthFixture}'s users and access rules, fresh for each test: the server remembers a
     * successful login for a while, so on a shared registry one test's login would stand in for the next one's, and
     * only the first would reach the audit log.
     */
    static ClientTestRegistry secured(String... programs) {
        return new ClientTestRegistry(List.of(programs), AuthFixture::secured, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        programs.forEach(ExternalTools::require);
        if (!perTest) {
            start();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (perTest) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    private void start() {
        audit = new AuditCapture();
        registry = TestRegistry.start(Backend.SQLITE, config);
        http = new RegistryHttp(registry.url());
    }

    private void stop() {
        if (registry != null) {
            registry.close();
            registry = null;
            http = null;
        }
        if (audit != null) {
            audit.close();
            audit = null;
        }
    }

    /** {@code 127.0.0.1:PORT}, the registry host as clients name it in image references. */
    String hostPort() {
        return registry.hostPort();
    }

    /** Its data directory, where {@code berth token} finds the metadata database. */
    Path dataDir() {
        return registry.dataDir();
    }

    /** Reads back what the registry serves, independently of the client under test (anonymously). */
    RegistryHttp http() {
        return http;
    }

    /**
     * The results (success, failure) of the audited credential checks for {@code subject} by {@code method}: token
     * for a login at the token endpoint, basic for Basic credentials sent straight to {@code /v2/}.
     */
    List<String> logins(String method, String subject) {
        return audited("login", subject).filter(line -> line.path("method").asString().equals(method))
                .map(line -> line.path("result").asString())
                .toList();
    }

    /** {@code REPOSITORY:REFERENCE} of each manifest pushed by {@code subject}, as audited. */
    List<String> pushes(String subject) {
        return audited("push", subject)
                .map(line -> line.path("repository").asString() + ":" + line.path("reference").asString())
                .toList();
    }

    private Stream<JsonNode> audited(String event, String subject) {
        return audit.lines().stream().map(OciLayout.JSON::readTree)
                .filter(line -> line.path("event").asString().equals(event)
                        && line.path("subject").asString().equals(subject));
    }
}
