package io.berth.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A PostgreSQL server of a test's own, started by {@code scripts/test-postgres} on a free loopback port, that the
 * test may stop and start again: never the shared test server, which other test classes use meanwhile. Needs the
 * PostgreSQL binaries the script uses (skipped without them, failed in CI).
 */
public final class PrivatePostgres implements AutoCloseable {
    private static final Path SCRIPT = Path.of("..", "scripts", "test-postgres"); // tests run in the module's directory

    private final int port;
    private final Path dir;
    private final String url;

    private PrivatePostgres(int port, Path dir, String url) {
        this.port = port;
        this.dir = dir;
        this.url = url;
    }

    public static PrivatePostgres start() {
        String bin = System.getenv().getOrDefault("PG_BIN", "/usr/lib/postgresql/15/bin");
        ExternalTools.requireFile(Path.of(bin, "pg_ctl"), "apt-get install postgresql");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "berth-private-postgres-" + port);
        PrivatePostgres postgres = new PrivatePostgres(port, dir, null);
        String output = postgres.script("start");
        String prefix = "export BERTH_TEST_POSTGRES_URL=";
        int at = output.indexOf(prefix);
        if (at < 0) {
            throw new IllegalStateException("test-postgres printed no URL: " + output);
        }
        return new PrivatePostgres(port, dir, output.substring(at + prefix.length()).strip());
    }

    /** The admin JDBC URL (database {@code postgres}). */
    public String url() {
        return url;
    }

    /** Stops the server, keeping its data: an outage. */
    public void halt() {
        script("halt");
    }

    /** Starts it again after {@link #halt()}, on the same port and data. */
    public void resume() {
        script("start");
    }

    /** Stops the server and deletes its data. */
    @Override
    public void close() {
        script("stop");
    }

    private String script(String command) {
        ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString(), command).redirectErrorStream(true);
        builder.environment().put("BERTH_TEST_POSTGRES_PORT", Integer.toString(port));
        builder.environment().put("BERTH_TEST_POSTGRES_DIR", dir.toString());
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("test-postgres " + command + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
