package io.berth.server.testing;

import io.berth.server.BerthServer;
import io.berth.server.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real Berth server on a free loopback port, with a fresh data directory and (for PostgreSQL) a fresh database,
 * removed again on {@link #close()}.
 */
public final class TestRegistry implements AutoCloseable {
    private final Config config;
    private final TestDatabase database;
    private final Clock clock;
    private BerthServer server;

    private TestRegistry(Config config, TestDatabase database, Clock clock) throws Exception {
        this.config = config;
        this.database = database;
        this.clock = clock;
        try {
            this.server = BerthServer.start(config, clock);
        } catch (Exception | Error e) {
            if (database != null) {
                database.close(); // a server that never started leaves no database behind
            }
            throw e;
        }
    }

    public static TestRegistry start(Backend backend) {
        return start(backend, UnaryOperator.identity());
    }

    public static TestRegistry start(Backend backend, UnaryOperator<Config> tweak) {
        return start(backend, tweak, Clock.systemUTC());
    }

    /** With garbage collection judging ages by {@code clock}. */
    public static TestRegistry start(Backend backend, UnaryOperator<Config> tweak, Clock clock) {
        try {
            TestDatabase database = backend == Backend.POSTGRES ? TestDatabase.create() : null;
            Path data = Files.createTempDirectory("berth-test-");
            Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(data);
            if (database != null) {
                config = config.withMetadata(database.url(), null, null);
            }
            try {
                config = tweak.apply(config);
            } catch (RuntimeException | Error e) {
                if (database != null) {
                    database.close(); // a tweak that fails (or skips the test) leaves no database behind
                }
                throw e;
            }
            return new TestRegistry(config, database, clock);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not start a test registry", e);
        }
    }

    /** Stops the server and starts a new one on the same data, database and port. */
    public void restart() throws Exception {
        int port = server.port();
        server.close();
        server = BerthServer.start(config.withListen("127.0.0.1:" + port), clock);
    }

    /** The base URL: {@code https://} when the registry was started with TLS, {@code http://} otherwise. */
    public String url() {
        return (config.tls().enabled() ? "https" : "http") + "://" + hostPort();
    }

    public String hostPort() {
        return "127.0.0.1:" + server.port();
    }

    public Path dataDir() {
        return config.data();
    }

    public Config config() {
        return config;
    }

    @Override
    public void close() {
        server.close();
        if (database != null) {
            database.close();
        }
        deleteRecursively(config.data());
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
