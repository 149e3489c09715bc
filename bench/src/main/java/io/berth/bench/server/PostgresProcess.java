package io.berth.bench.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throwaway PostgreSQL on loopback for the comparison on S3, through the project's {@code scripts/test-postgres}
 * (its own port; data under /tmp, where the {@code postgres} account can reach it), removed again by {@link #close}.
 * That script trades durability for speed, which the tests may but a benchmark must not: every commit here waits
 * for its fsync, as Berth's does on SQLite.
 */
public final class PostgresProcess implements AutoCloseable {
    private static final Pattern URL = Pattern.compile("BERTH_TEST_POSTGRES_URL='?([^'\\s]+)'?");

    private final Path script;
    private final Map<String, String> environment;
    private final String jdbcUrl;

    private PostgresProcess(Path script, Map<String, String> environment, String jdbcUrl) {
        this.script = script;
        this.environment = environment;
        this.jdbcUrl = jdbcUrl;
    }

    public static PostgresProcess start(Path script, int port) throws IOException, InterruptedException,
            SQLException {
        Map<String, String> environment = Map.of("BERTH_TEST_POSTGRES_PORT", Integer.toString(port));
        String output = run(script, environment);
        Matcher url = URL.matcher(output);
        if (!url.find()) {
            throw new IOException(script + " printed no BERTH_TEST_POSTGRES_URL: " + output);
        }
        PostgresProcess postgres = new PostgresProcess(script, environment, url.group(1));
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl);
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER SYSTEM SET fsync = on");
            statement.execute("ALTER SYSTEM SET synchronous_commit = on");
            statement.execute("ALTER SYSTEM SET full_page_writes = on");
            statement.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            postgres.close();
            throw e;
        }
        return postgres;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(script, environment, "stop");
    }

    private static String run(Path script, Map<String, String> environment, String... arguments)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(script.toString());
        builder.command().addAll(List.of(arguments));
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(script + " " + String.join(" ", arguments) + " failed: " + output);
        }
        return output;
    }
}
