package io.berth.server.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tests that need a program or server from outside the build skip on a developer's machine that lacks it, but
 * fail in CI ({@code CI=true}), where {@code .ci/run} installs and starts everything.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Requires a program on the PATH. */
    public static void require(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return;
            }
        }
        missing(program + " is not installed (apt-get install " + program + ")");
    }

    /** Requires a file a setup step makes, such as the browser tests' npm packages; {@code how} says which. */
    public static void requireFile(Path file, String how) {
        if (!Files.exists(file)) {
            missing(file + " is missing (" + how + ")");
        }
    }

    /** Requires this JVM to run as root, as a container engine's daemon ({@code program}) must. */
    public static void requireRoot(String program) {
        Object uid;
        try {
            uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            uid = null;
        }
        if (!Integer.valueOf(0).equals(uid)) {
            missing(program + " needs root, and the tests do not run as root");
        }
    }

    /** The admin JDBC URL of the test PostgreSQL server, from {@code BERTH_TEST_POSTGRES_URL}. */
    public static String postgresUrl() {
        String url = System.getenv("BERTH_TEST_POSTGRES_URL");
        if (url == null || url.isBlank()) {
            missing("BERTH_TEST_POSTGRES_URL is not set: start a test PostgreSQL with "
                    + "`eval \"$(scripts/test-postgres)\"`");
        }
        return url;
    }

    /**
     * Mounts a tmpfs of {@code size} (say {@code 8m}) on {@code directory}: a filesystem a test may fill. Needs root,
     * as the tests have in CI; {@link #unmount} it when done.
     */
    public static void mountTmpfs(Path directory, String size) {
        String failure = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", directory.toString());
        if (failure != null) {
            missing("cannot mount a tmpfs on " + directory + " (" + failure + "); the test needs root");
        }
    }

    public static void unmount(Path directory) {
        String failure = run("umount", directory.toString());
        if (failure != null) {
            throw new IllegalStateException("could not unmount " + directory + ": " + failure);
        }
    }

    /** Runs a command; null when it succeeded, else what went wrong. */
    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes()).strip();
            return process.waitFor() == 0 ? null : output;
        } catch (java.io.IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static void missing(String why) {
        if (inCi()) {
            fail(why + " (required in CI)");
        }
        abort(why + ": skipped");
    }
}
