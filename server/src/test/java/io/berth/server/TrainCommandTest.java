package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theTrainingPushesImagesAndReferrersAndPullsThemBack() throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE)) {
            TrainCommand.run(URI.create(registry.url()), 30);

            // Images 0..29 spread over ten repositories by image % 10; every tenth also gets a referrer.
            assertThat(get(registry, "/v2/train/r3/tags/list")).contains("\"v3\"", "\"v13\"", "\"v23\"");
            String manifest = get(registry, "/v2/train/r0/manifests/v20");
            String subject = Digest.sha256(manifest.getBytes(StandardCharsets.UTF_8)).toString();
            assertThat(get(registry, "/v2/train/r0/referrers/" + subject))
                    .contains("application/vnd.example.signature");
        }
    }

    @Test
    void theClientCommandsCopyPullPushAndDeleteTheTrainedImages(@TempDir Path dir) throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE)) {
            TrainCommand.run(URI.create(registry.url()), 12);

            TrainCommand.clientCommands(registry.hostPort(), dir);

            String image = get(registry, "/v2/train/r0/manifests/v0");
            assertThat(get(registry, "/v2/train/copied/manifests/v0")).isEqualTo(image);
            assertThat(get(registry, "/v2/train/r0/manifests/again")).isEqualTo(image);
            assertThat(Files.readString(dir.resolve("layout/index.json"))).contains("\"v0\"");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(registry.url() + "/v2/train/pushed/manifests/v0"))
                    .build(), BodyHandlers.discarding()).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theCommandRunsAgainstARegistryOfItsOwnAndLeavesNoDataBehind() throws Exception {
        List<Path> before = trainingDirectories();
        int status = new CommandLine(new Main()).execute("train", "--images", "12");
        assertThat(status).isZero();
        assertThat(trainingDirectories()).isEqualTo(before);
    }

    private String get(TestRegistry registry, String path) throws IOException, InterruptedException {
        var response = http.send(HttpRequest.newBuilder(URI.create(registry.url() + path))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return response.body();
    }

    private static List<Path> trainingDirectories() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(file -> file.getFileName().toString().startsWith("berth-train")).sorted().toList();
        }
    }
}
