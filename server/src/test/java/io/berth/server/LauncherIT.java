package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.ChildServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The launcher {@code ./berth}, run after the package phase: it trains the JVM's AOT cache once per build. */
class LauncherIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize(); // tests run in the module's directory
    private static final Path CACHE = ROOT.resolve("server/target/berth.aot");
    private static final Path STAMP = ROOT.resolve("server/target/berth.aot.options");

    private record Run(int status, String out, String err) {
    }

    @Test
    @Timeout(300)
    void theLauncherTrainsAnAotCacheOnceThatTheJvmCanUse() throws Exception {
        Files.deleteIfExists(STAMP); // as after a new build

        Run first = run(List.of(ROOT.resolve("berth").toString(), "--version"));
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.out()).contains("Berth");
        assertThat(first.err()).contains("Training the JVM's AOT cache").doesNotContain("Training failed");
        assertThat(CACHE).isRegularFile();

        Run second = run(List.of(ROOT.resolve("berth").toString(), "--version"));
        assertThat(second.status()).isZero();
        assertThat(second.err()).as("trained once per build").doesNotContain("Training");

        // With AOTMode=on the JVM refuses to start when it cannot use the cache (other JVM, options or jar).
        List<String> strict = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        strict.addAll(ChildServer.launcherJavaOptions());
        strict.addAll(List.of("-XX:AOTMode=on", "-XX:AOTCache=" + CACHE, "-jar",
                ROOT.resolve("server/target/berth.jar").toString(), "--version"));
        Run used = run(strict);
        assertThat(used.status()).as(used.err()).isZero();
        assertThat(used.out()).contains("Berth");
    }

    private static Run run(List<String> command) throws IOException, InterruptedException {
        Path err = Files.createTempFile("launcher", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                    .redirectError(err.toFile());
            builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
            builder.environment().remove("BERTH_JAVA_OPTS");
            Process process = builder.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(240, TimeUnit.SECONDS)).isTrue();
            return new Run(process.exitValue(), out, Files.readString(err));
        } finally {
            Files.delete(err);
        }
    }
}
