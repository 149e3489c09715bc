package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.s3.S3Settings;
import io.berth.server.StorageConfig;
import io.berth.server.protocol.RegistryClient.PushedImage;
import io.berth.server.testing.S3Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Names, references, digests and upload ids that try to climb out of the data directory (dot segments, encoded
 * dots and slashes) are refused with a 4xx, and nothing is written outside the data directory, nor, on S3, outside
 * the store's prefix in its bucket.
 */
class PathTraversalTest extends PerBackendRegistryTest {
    private static final String OCTETS = "application/octet-stream";

    private String marker;
    private String repository;
    private PushedImage image;

    @BeforeEach
    void pushImage() {
        marker = "escaped-" + UUID.randomUUID();
        repository = TestContent.uniqueRepository("traversal");
        image = client.pushImage(repository, "latest");
    }

    @Test
    void repositoryNamesThatClimbOutAreRefused() {
        byte[] blob = marker.getBytes(StandardCharsets.UTF_8);
        String digest = sha256(blob);
        List<String> names = List.of(
                "%2e%2e/%2e%2e/%2e%2e/" + marker,
                "a/%2e%2e/%2e%2e/%2e%2e/%2e%2e/" + marker,
                "..%2f..%2f..%2f" + marker,
                "a%2f..%2f..%2f..%2f" + marker,
                "%2E%2E%2F%2E%2E%2F" + marker,
                "a/..%5c..%5c" + marker,
                "%252e%252e/%252e%252e/" + marker);

        for (String name : names) {
            assertRefusedOrClosed(() -> client.post("/v2/" + name + "/blobs/uploads/?digest=" + digest, blob, "Content-Type", OCTETS));
            assertRefusedOrClosed(() -> client.post("/v2/" + name + "/blobs/uploads/", new byte[0]));
            assertRefusedOrClosed(() -> client.putManifest(name, "latest", OCI_MANIFEST, image.manifest()));
            assertRefused(client.get("/v2/" + name + "/tags/list"));
        }
        assertNothingEscaped();
    }

    @Test
    void plainDotDotSegmentsNeverReachAFileOutside() {
        for (String path : List.of(
                "/v2/../../../../../etc/passwd",
                "/v2/" + repository + "/blobs/../../../../../../etc/passwd",
                "/v2/" + repository + "/blobs/uploads/../../../../../../../" + marker,
                "/v2/" + repository + "/manifests/../../../../../../" + marker)) {
            HttpResponse<byte[]> get = client.get(path);
            assertThat(get.statusCode()).as("GET %s: %s", path, body(get)).isBetween(400, 499);
            assertThat(new String(get.body(), StandardCharsets.UTF_8)).doesNotContain("root:");
            assertRefusedOrClosed(() -> client.put(path, marker.getBytes(StandardCharsets.UTF_8), "Content-Type", OCTETS));
        }
        assertNothingEscaped();
    }

    @Test
    void tagsThatClimbOutAreRefused() {
        for (String tag : List.of("..%2f..%2f..%2f" + marker, "%2e%2e%2f%2e%2e%2f" + marker, "..%5c..%5c" + marker,
                "..", "%2e%2e")) {
            assertRefusedOrClosed(() -> client.putManifest(repository, tag, OCI_MANIFEST, image.manifest()));
            assertRefused(client.get("/v2/" + repository + "/manifests/" + tag));
            assertRefused(client.delete("/v2/" + repository + "/manifests/" + tag));
        }
        assertNothingEscaped();
    }

    @Test
    void digestsThatClimbOutAreRefused() {
        byte[] blob = marker.getBytes(StandardCharsets.UTF_8);
        for (String digest : List.of("sha256:..%2f..%2f..%2f..%2fetc%2fpasswd", "sha256%2f..%2f..%2f" + marker,
                "..%2f..%2f" + marker, "sha256:%2e%2e")) {
            HttpResponse<byte[]> get = client.get("/v2/" + repository + "/blobs/" + digest);
            assertRefused(get);
            assertThat(new String(get.body(), StandardCharsets.UTF_8)).doesNotContain("root:");
            assertRefused(client.delete("/v2/" + repository + "/blobs/" + digest));
            assertRefusedOrClosed(() -> client.post("/v2/" + repository + "/blobs/uploads/?digest=" + digest, blob, "Content-Type", OCTETS));
            assertRefused(client.get("/v2/" + repository + "/referrers/" + digest));
            assertRefusedOrClosed(() -> client.put("/v2/" + repository + "/manifests/" + digest, image.manifest(), "Content-Type", OCI_MANIFEST));
        }
        assertNothingEscaped();
    }

    @Test
    void uploadIdsThatClimbOutAreRefused() {
        byte[] blob = marker.getBytes(StandardCharsets.UTF_8);
        for (String id : List.of("..%2f..%2f..%2f..%2f" + marker, "%2e%2e%2f%2e%2e%2f%2e%2e%2f" + marker,
                "..%5c..%5c" + marker, "%2e%2e", "..")) {
            String upload = "/v2/" + repository + "/blobs/uploads/" + id;
            assertRefusedOrClosed(() -> client.patch(upload, blob, "Content-Type", OCTETS));
            assertRefusedOrClosed(() -> client.put(upload + "?digest=" + sha256(blob), blob, "Content-Type", OCTETS));
            assertRefused(client.get(upload));
            assertRefused(client.delete(upload));
        }
        assertNothingEscaped();
    }

    @Test
    void mountFromANameThatClimbsOutNeverReadsOutside() {
        HttpResponse<byte[]> response = client.post("/v2/" + repository + "/blobs/uploads/?mount="
                + sha256(image.config()) + "&from=..%2F..%2F..%2F" + marker, new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isIn(202, 400, 404);
        assertThat(client.head("/v2/" + repository + "/blobs/" + sha256(image.config())).statusCode()).isEqualTo(200);
        assertNothingEscaped();
    }

    /**
     * For a request with a body whose URL the server rejects before routing: it may answer 400 and close the
     * connection while the body is still being sent, and the client then sees the connection drop instead of the
     * answer; the next request may then meet that same connection closing. Either way the request was refused.
     */
    private static void assertRefusedOrClosed(Supplier<HttpResponse<byte[]>> request) {
        HttpResponse<byte[]> response;
        try {
            response = request.get();
        } catch (UncheckedIOException closed) {
            return;
        }
        assertRefused(response);
    }

    private static void assertRefused(HttpResponse<byte[]> response) {
        assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.request().uri(), body(response))
                .isBetween(400, 499);
    }

    /**
     * No file or directory named after this test's marker exists near the data directory or the working directory;
     * on S3, every object is under the store's prefix, no key has a dot segment, and none is named after the marker.
     */
    private void assertNothingEscaped() {
        if (registry.config().storage() instanceof StorageConfig.S3(S3Settings settings)) {
            List<String> keys = S3Store.shared().allKeys(settings);
            assertThat(keys).as("objects of the image pushed").isNotEmpty();
            assertThat(keys).allSatisfy(key -> {
                assertThat(key).startsWith(settings.prefix()).doesNotContain(marker);
                assertThat(List.of(key.split("/"))).doesNotContain(".", "..", "");
            });
        }
        Path data = registry.dataDir().toAbsolutePath().normalize();
        List<Path> searched = new ArrayList<>();
        List<Path> found = new ArrayList<>();
        Path ancestor = data.getParent();
        for (int depth = 4; ancestor != null && depth >= 1; depth--, ancestor = ancestor.getParent()) {
            searched.add(ancestor);
            found.addAll(named(ancestor, depth, data));
        }
        Path workingDirectory = Path.of("").toAbsolutePath();
        found.addAll(named(workingDirectory, 3, data));
        found.addAll(named(Path.of(System.getProperty("java.io.tmpdir")), 2, data));
        assertThat(found).as("files named %s outside %s (searched %s)", marker, data, searched).isEmpty();
    }

    /** Entries under {@code root} (to {@code depth} levels, outside {@code excluded}) whose name holds the marker. */
    private List<Path> named(Path root, int depth, Path excluded) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try {
            Files.walkFileTree(root, Set.of(), depth, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    if (dir.startsWith(excluded)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    check(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    check(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                private void check(Path path) {
                    if (!path.startsWith(excluded) && path.getFileName() != null
                            && path.getFileName().toString().contains(marker)) {
                        found.add(path);
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }
}
