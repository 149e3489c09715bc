package io.berth.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /livez} says the process serves; {@code /readyz} says whether a load balancer should send it requests: the
 * database and blob storage answer, and the server is not draining.
 */
class HealthEndpointsTest {
    @TempDir
    Path data;

    private BerthServer start(Config config) throws Exception {
        return BerthServer.start(config.withListen("127.0.0.1:0").withData(data));
    }

    private static RegistryClient client(BerthServer server) {
        return new RegistryClient("http://127.0.0.1:" + server.port());
    }

    /** Asks {@code /readyz} until it answers {@code status}, for at most {@code within}; the last answer. */
    private static HttpResponse<byte[]> readyzUntil(RegistryClient client, int status, Duration within)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        HttpResponse<byte[]> response = client.get("/readyz");
        while (response.statusCode() != status && System.nanoTime() < deadline) {
            Thread.sleep(50);
            response = client.get("/readyz");
        }
        return response;
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void aServingServerIsLiveAndReadyWithoutCredentials() throws Exception {
        try (BerthServer server = start(Config.DEFAULTS)) {
            RegistryClient client = client(server);

            HttpResponse<byte[]> live = client.get("/livez");
            HttpResponse<byte[]> ready = client.get("/readyz");

            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(text(live)).isEqualTo("ok\n");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(text(ready)).isEqualTo("[+]database ok\n[+]storage ok\nok\n");
            assertThat(ready.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
            assertThat(ready.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(client.head("/readyz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aDrainingServerIsNotReadyAtOnceButServesOnForTheDrainDelay() throws Exception {
        BerthServer server = start(Config.DEFAULTS.withDrainDelay(Duration.ofSeconds(2)));
        RegistryClient client = client(server);
        assertThat(client.get("/readyz").statusCode()).isEqualTo(200);

        long started = System.nanoTime();
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(server::shutdown);
        HttpResponse<byte[]> ready = readyzUntil(client, 503, Duration.ofSeconds(1));

        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(text(ready)).isEqualTo("[-]draining: the server is shutting down\nreadyz check failed\n");
        assertThat(client.get("/livez").statusCode()).isEqualTo(200);
        assertThat(client.get("/v2/").statusCode()).as("still serving during the delay").isEqualTo(200);
        shutdown.join();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void removedBlobStorageMakesTheServerUnreadyUntilItIsBack() throws Exception {
        try (BerthServer server = start(Config.DEFAULTS)) {
            RegistryClient client = client(server);
            assertThat(client.get("/readyz").statusCode()).isEqualTo(200);

            Files.delete(data.resolve("blobs")); // empty: nothing was pushed
            HttpResponse<byte[]> gone = readyzUntil(client, 503, Duration.ofSeconds(3));
            Files.createDirectory(data.resolve("blobs"));
            HttpResponse<byte[]> back = readyzUntil(client, 200, Duration.ofSeconds(3));

            assertThat(gone.statusCode()).isEqualTo(503);
            assertThat(text(gone)).isEqualTo("[+]database ok\n[-]storage failed\nreadyz check failed\n");
            assertThat(client.get("/livez").statusCode()).as("live all along").isEqualTo(200);
            assertThat(back.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aDroppedPostgresDatabaseMakesTheServerUnreadyWithinTheProbeTimeEvenUnderAStormOfProbes() throws Exception {
        TestDatabase database = TestDatabase.create();
        boolean dropped = false;
        try (BerthServer server = start(Config.DEFAULTS.withMetadata(database.url(), null, null))) {
            RegistryClient client = client(server);
            assertThat(text(client.get("/readyz"))).isEqualTo("[+]database ok\n[+]storage ok\nok\n");

            database.close(); // DROP DATABASE ... WITH (FORCE): its connections are ended too
            dropped = true;
            Thread.sleep(1100); // past the time the last result is reused
            List<Future<HttpResponse<byte[]>>> probes = new ArrayList<>();
            long started = System.nanoTime();
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 20; i++) {
                    probes.add(executor.submit(() -> client.get("/readyz")));
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            for (Future<HttpResponse<byte[]>> probe : probes) {
                assertThat(probe.get().statusCode()).isEqualTo(503);
                assertThat(text(probe.get())).startsWith("[-]database ").endsWith("readyz check failed\n")
                        .contains("[+]storage ok");
            }
            assertThat(took).as("probes wait for one check, bounded").isLessThan(Duration.ofMillis(3500));
            assertThat(client.get("/livez").statusCode()).isEqualTo(200);
        } finally {
            if (!dropped) {
                database.close();
            }
        }
    }
}
