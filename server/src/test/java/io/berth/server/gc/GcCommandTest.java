package io.berth.server.gc;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.metadata.CollectorLock;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.GcConfig;
import io.berth.server.Main;
import io.berth.server.gc.Images.Image;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code berth gc [--dry-run]}, run in-process on the data of a server that keeps serving meanwhile. */
class GcCommandTest {
    @TempDir
    Path configDir;

    private TestRegistry registry;
    private RegistryClient client;
    private Path configFile;

    private record Run(int exitCode, String out, String err) {
    }

    @BeforeEach
    void startServer() throws Exception {
        registry = TestRegistry.start(Backend.SQLITE, config -> config.withGc(
                new GcConfig(Duration.ZERO, Duration.ofHours(1), Duration.ofHours(24), List.of())));
        client = new RegistryClient(registry.url());
        configFile = configDir.resolve("berth.yaml");
        Files.writeString(configFile, """
                gc:
                  grace: 0s
                  untagged:
                    - repositories: ["cli/**"]
                      olderThan: 0s
                """);
    }

    @AfterEach
    void stopServer() {
        registry.close();
    }

    private Run berth(String... options) {
        return berthOn(registry.dataDir(), options);
    }

    private Run berthOn(Path data, String... options) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new Main())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("gc", "--config", configFile.toString(), "--data", data.toString()));
        args.addAll(List.of(options));
        return new Run(commandLine.execute(args.toArray(String[]::new)), out.toString(), err.toString());
    }

    @Test
    void aDryRunListsWhatWouldGoAndTheRealRunDeletesItWhileTheServerServes() throws Exception {
        Image image = Images.pushImage(client, "cli/app", null, 1);
        String layer = image.blobDigests().get(1);
        // The server now has the manifest in its cache, which never expires on SQLite.
        assertThat(client.get("/v2/cli/app/manifests/" + image.digest()).statusCode()).isEqualTo(200);

        Run dry = berth("--dry-run");

        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("dry run finished", "nothing was deleted", "Would delete:",
                "manifest  cli/app@" + image.digest(), "blob      " + layer);
        assertThat(client.get("/v2/cli/app/manifests/" + image.digest()).statusCode()).isEqualTo(200);

        Run real = berth();

        assertThat(real.exitCode()).as(real.err()).isZero();
        assertThat(real.out()).contains("Deleted:", "manifest  cli/app@" + image.digest(),
                "link      cli/app@" + layer, "blob      " + layer)
                .containsPattern("untagged manifests +1")
                .containsPattern("storage freed: \\d");
        assertThat(Images.blobFile(registry.dataDir(), layer)).doesNotExist();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (client.get("/v2/cli/app/manifests/" + image.digest()).statusCode() != 404) {
            assertThat(System.nanoTime()).as("the server forgets the manifest the command deleted")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void refusesWhileAnotherCollectionRuns() {
        String digest = client.pushBlob("cli/app", TestContent.randomBytes(10));
        try (SqlMetadataStore store = SqlMetadataStore.open(registry.config().effectiveMetadataUrl(), null, null);
             CollectorLock running = store.tryLockCollector().orElseThrow()) {
            Run refused = berth();

            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.err()).contains("another garbage collection is running");
            assertThat(Images.blobFile(registry.dataDir(), digest)).exists();
        }
    }

    @Test
    void aMissingDataDirectoryIsOneLine() {
        Run run = berthOn(configDir.resolve("nowhere"));

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("berth: no data directory at");
    }
}
