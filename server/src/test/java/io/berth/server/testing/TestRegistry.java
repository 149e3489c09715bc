package io.berth.server.testing;

import io.berth.server.BerthServer;
import io.berth.server.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real Berth server on a free loopback port, with a fresh data directory and (for PostgreSQL) a fresh database,
 * removed again on {@link #close()}.
 */
public final class TestRegistry implements AutoCloseable {
    private final Config config;
    private final String database;
    private BerthServer server;

    private TestRegistry(Config config, String database) throws Exception {
        this.config = config;
        this.database = database;
        this.server = BerthServer.start(config);
    }

    public static TestRegistry start(Backend backend) {
        return start(backend, UnaryOperator.identity());
    }

    public static TestRegistry start(Backend backend, UnaryOperator<Config> tweak) {
        try {
            String admin = backend == Backend.POSTGRES ? ExternalTools.postgresUrl() : null;
            Path data = Files.createTempDirectory("berth-test-");
            Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(data);
            String database = null;
            if (backend == Backend.POSTGRES) {
                database = "berth_test_" + UUID.randomUUID().toString().replace("-", "");
                execute(admin, "CREATE DATABASE " + database);
                config = config.withMetadata(withDatabase(admin, database), null, null);
            }
            return new TestRegistry(tweak.apply(config), database);
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
        server = BerthServer.start(config.withListen("127.0.0.1:" + port));
    }

    public String url() {
        return "http://" + hostPort();
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
            try {
                execute(ExternalTools.postgresUrl(), "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            } catch (SQLException e) {
                throw new IllegalStateException("could not drop " + database, e);
            }
        }
        deleteRecursively(config.data());
    }

    /** Replaces the database name in {@code jdbc:postgresql://host:port/name?params}. */
    static String withDatabase(String url, String database) {
        int slash = url.indexOf('/', "jdbc:postgresql://".length());
        int query = url.indexOf('?', slash);
        return url.substring(0, slash + 1) + database + (query < 0 ? "" : url.substring(query));
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
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
