package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.ChildServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client sends must not grow the server's memory without a bound. Run on the launcher's JVM options with a
 * smaller heap, so that what once filled the heap does so quickly: requests for upload sessions that do not exist,
 * with long made-up ids, each of which used to leave its id behind.
 */
class HeapBoundsTest {
    private static final int CLIENTS = 4;
    private static final int REQUESTS_PER_CLIENT = 4_000;
    private static final int ID_LENGTH = 6_000;
    private static final int CONCURRENT_MANIFESTS = 48;
    private static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    @Test
    @Timeout(300)
    void requestsForUnknownUploadSessionsLeaveNothingBehind(@TempDir Path dir) throws Exception {
        List<String> options = new ArrayList<>(ChildServer.launcherJavaOptions());
        options.add("-Xmx64m"); // the last heap option wins
        try (ChildServer server = ChildServer.start(dir.resolve("data"), Map.of(), dir.resolve("server.log"), options);
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            URI base = URI.create(server.url());
            List<Future<Integer>> answered = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int first = c * REQUESTS_PER_CLIENT;
                answered.add(clients.submit(() -> patchUnknownSessions(client, base, first)));
            }
            for (Future<Integer> notFound : answered) {
                assertThat(notFound.get()).as("404 answers; server log:%n%s", server.logTail())
                        .isEqualTo(REQUESTS_PER_CLIENT);
            }
            HttpResponse<Void> root = client.send(HttpRequest.newBuilder(base.resolve("/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(root.statusCode()).isEqualTo(200);
            assertThat(server.logTail()).doesNotContain("OutOfMemoryError");
        }
    }

    @Test
    @Timeout(300)
    void manyConcurrentPushesOfTheLargestManifestsDoNotFillTheHeap(@TempDir Path dir) throws Exception {
        byte[] manifest = largestManifest();
        try (ChildServer server = ChildServer.start(dir.resolve("data"), Map.of(), dir.resolve("server.log"),
                ChildServer.launcherJavaOptions());
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            URI base = URI.create(server.url());
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_MANIFESTS; i++) {
                HttpRequest put = HttpRequest.newBuilder(base.resolve("/v2/heap/manifests/m" + i))
                        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build();
                statuses.add(clients.submit(() -> client.send(put, HttpResponse.BodyHandlers.discarding())
                        .statusCode()));
            }
            for (Future<Integer> status : statuses) {
                // Refused for the blobs it names, which were never pushed: read and parsed whole all the same.
                assertThat(status.get()).as("status; server log:%n%s", server.logTail()).isEqualTo(400);
            }
            HttpResponse<Void> root = client.send(HttpRequest.newBuilder(base.resolve("/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(root.statusCode()).isEqualTo(200);
            assertThat(server.logTail()).doesNotContain("OutOfMemoryError");
        }
    }

    /** An image manifest just under the default size limit, naming layers by the thousand. */
    private static byte[] largestManifest() {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,"
                + "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" + descriptor(0) + ","
                + "\"layers\":[");
        for (int i = 1; json.length() < MAX_MANIFEST_BYTES - 400; i++) {
            json.append(i == 1 ? "" : ",").append(descriptor(i));
        }
        return json.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static String descriptor(int i) {
        return "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"size\":" + i
                + ",\"digest\":\"sha256:" + String.format("%064x", i) + "\"}";
    }

    /** PATCHes sessions with ids no one started, each a different long id; how many got 404 BLOB_UPLOAD_UNKNOWN. */
    private static int patchUnknownSessions(HttpClient client, URI base, int first) throws Exception {
        int notFound = 0;
        for (int i = first; i < first + REQUESTS_PER_CLIENT; i++) {
            String id = (i + "-").repeat(ID_LENGTH).substring(0, ID_LENGTH);
            HttpRequest patch = HttpRequest.newBuilder(base.resolve("/v2/heap/test/blobs/uploads/" + id))
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("x")).build();
            HttpResponse<String> response = client.send(patch, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404 && response.body().contains("BLOB_UPLOAD_UNKNOWN")) {
                notFound++;
            }
        }
        return notFound;
    }
}
