package io.berth.client.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tests that need a program from outside the build skip on a developer's machine that lacks it, but fail in CI
 * ({@code CI=true}), where {@code .ci/run} installs everything.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** The program's path on the PATH; skips (or fails in CI) when it is not installed. */
    public static Path require(String program, String aptPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String message = program + " is not installed (apt-get install " + aptPackage + ")";
        if (inCi()) {
            fail(message);
        }
        abort(message);
        throw new AssertionError("unreachable");
    }
}
