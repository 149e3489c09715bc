package io.berth.registry.metadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies {@code db/migration/V<n>__<name>.sql} in order, each once, recorded in {@code schema_migrations}.
 * On PostgreSQL an advisory lock makes concurrent starts of several servers apply each migration once.
 */
final class Migrations {
    /**
     * Every migration, in order. A new one is appended here and added as a resource. Each is applied once, when its
     * version is not yet recorded, so migrations written side by side can land in either order.
     */
    private static final List<String> SCRIPTS = List.of("V1__schema.sql", "V2__robots.sql", "V3__gc.sql",
            "V4__lifecycle.sql", "V5__events.sql", "V6__inventory.sql", "V7__repository_counters.sql",
            "V8__namespace_blobs.sql", "V9__repository_generations.sql", "V10__login_failures.sql",
            "V11__upload_hash_states.sql");
    private static final long LOCK_KEY = 0x62657274L; // "bert"

    private Migrations() {
    }

    static void apply(Connection connection, Dialect dialect) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            if (dialect == Dialect.POSTGRESQL) {
                statement.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
            }
            statement.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    + "name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)");
            Set<Integer> applied = new HashSet<>();
            try (ResultSet rs = statement.executeQuery("SELECT version FROM schema_migrations")) {
                while (rs.next()) {
                    applied.add(rs.getInt(1));
                }
            }
            for (String name : SCRIPTS) {
                int version = version(name);
                if (applied.contains(version)) {
                    continue;
                }
                for (String sql : statements(dialect.expand(read(name)))) {
                    statement.execute(sql);
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")) {
                    insert.setInt(1, version);
                    insert.setString(2, name);
                    insert.setLong(3, System.currentTimeMillis());
                    insert.executeUpdate();
                }
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** The n of {@code V<n>__<name>.sql}. */
    private static int version(String script) {
        return Integer.parseInt(script.substring(1, script.indexOf("__")));
    }

    private static String read(String name) {
        try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing migration " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits a script at semicolons that end a line, dropping comment lines. */
    private static List<String> statements(String script) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String sql = current.toString().strip();
                result.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            result.add(current.toString().strip());
        }
        return result;
    }
}
