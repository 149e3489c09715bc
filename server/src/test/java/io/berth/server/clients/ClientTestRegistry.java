package io.berth.server.clients;

import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The registry a client test class pushes to and pulls from: one SQLite-backed registry for the whole class, started
 * before its first test and closed after its last. Declared as a static {@code @RegisterExtension} field, so each
 * class has its own. The programs the class runs are looked for first, so a class whose programs are missing is
 * skipped (or fails under CI, see {@link ExternalTools#require}) before any registry is started.
 */
final class ClientTestRegistry implements BeforeAllCallback, AfterAllCallback {
    private final List<String> programs;
    private TestRegistry registry;
    private RegistryHttp http;

    /** For a client that is a library on the test class path. */
    ClientTestRegistry() {
        this(List.of());
    }

    private ClientTestRegistry(List<String> programs) {
        this.programs = programs;
    }

    /** For a client that is a program on the PATH, and any other program the tests run to check its work. */
    static ClientTestRegistry requiring(String... programs) {
        return new ClientTestRegistry(List.of(programs));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        programs.forEach(ExternalTools::require);
        registry = TestRegistry.start(Backend.SQLITE);
        http = new RegistryHttp(registry.url());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (registry != null) {
            registry.close();
            registry = null;
            http = null;
        }
    }

    /** {@code 127.0.0.1:PORT}, the registry host as clients name it in image references. */
    String hostPort() {
        return registry.hostPort();
    }

    /** Reads back what the registry serves, independently of the client under test. */
    RegistryHttp http() {
        return http;
    }
}
