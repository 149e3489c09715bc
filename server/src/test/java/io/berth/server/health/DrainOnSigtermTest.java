package io.berth.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.ChildServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM, as an orchestrator stops a server: {@code /readyz} answers 503 at once, the server serves on for the drain
 * delay and lets the requests in flight finish, then exits 0.
 */
class DrainOnSigtermTest {
    private static final int CHUNKS = 16;
    /** What the HTTP client reads of a body at a time. */
    private static final int CHUNK = 16 * 1024;

    @TempDir
    Path data;
    @TempDir
    Path logs;

    /** A request body that arrives a chunk every {@code pause}, counting down {@code started} after the first. */
    private static InputStream slowly(byte[] content, Duration pause, CountDownLatch started) {
        return new InputStream() {
            private int at;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (at == content.length) {
                    return -1;
                }
                if (at > 0) {
                    started.countDown();
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int n = Math.min(Math.min(length, CHUNK), content.length - at);
                System.arraycopy(content, at, buffer, offset, n);
                at += n;
                return n;
            }
        };
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void sigtermTurnsReadinessOffAtOnceLetsAnUploadInFlightFinishAndExitsZero() throws Exception {
        try (ChildServer server = ChildServer.start(data, Map.of("BERTH_SHUTDOWN_DRAIN_DELAY", "2s"),
                logs.resolve("server.log"))) {
            RegistryClient client = new RegistryClient(server.url());
            assertThat(client.get("/readyz").statusCode()).isEqualTo(200);
            String upload = RegistryClient.location(client.post("/v2/team/app/blobs/uploads/", new byte[0]));
            byte[] blob = TestContent.randomBytes(CHUNKS * CHUNK);
            CountDownLatch sending = new CountDownLatch(1);
            // 16 chunks, 300 ms apart: the upload outlasts the drain delay, and finishes in Jetty's graceful stop.
            HttpRequest patch = HttpRequest.newBuilder(client.uri(upload))
                    .header("Content-Type", "application/octet-stream")
                    .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(
                            () -> slowly(blob, Duration.ofMillis(300), sending)))
                    .build();
            try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(patch,
                        HttpResponse.BodyHandlers.ofString());
                assertThat(sending.await(10, TimeUnit.SECONDS)).isTrue();

                server.terminate();
                long signalled = System.nanoTime();
                HttpResponse<byte[]> ready = client.get("/readyz");
                while (ready.statusCode() != 503 && System.nanoTime() - signalled < Duration.ofSeconds(1).toNanos()) {
                    Thread.sleep(20);
                    ready = client.get("/readyz");
                }

                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(text(ready)).startsWith("[-]draining");
                assertThat(inFlight.isDone()).as("the upload is still in flight").isFalse();
                HttpResponse<String> uploaded = inFlight.get(30, TimeUnit.SECONDS);
                assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(202);
                assertThat(uploaded.headers().firstValue("Range")).hasValue("0-" + (blob.length - 1));
                assertThat(Duration.ofNanos(System.nanoTime() - signalled))
                        .as("the upload outlasted the drain delay").isGreaterThan(Duration.ofSeconds(2));
            }
            assertThat(server.awaitExit(Duration.ofSeconds(30))).as(server.logTail()).hasValue(0);
        }
    }
}
