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
