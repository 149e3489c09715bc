package io.berth.server.scale;

import static io.berth.server.protocol.TestContent.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.s3.S3Settings;
import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.StorageConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.LoadBalancer;
import io.berth.server.testing.S3Store;
import io.berth.server.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The object store stops while clients push through the load balancer to two nodes, and comes back: every answer
 * meanwhile is a success or a clean 503 with the spec's error body, never a 201 for bytes that were not stored; no
 * partial blob is ever served; and pushes succeed again once the store is back, with the same nodes.
 */
class ObjectStoreOutageTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @RegisterExtension
    static final S3Store s3 = new S3Store();

    @Test
    void pushesDuringAnOutageFailCleanlyAndSucceedAgainAfterIt(@TempDir Path dir) throws Exception {
        S3Settings bucket = s3.bucket("berth/");
        try (TestDatabase database = TestDatabase.create();
             BerthServer first = BerthServer.start(node(dir.resolve("node1"), database, bucket));
             BerthServer second = BerthServer.start(node(dir.resolve("node2"), database, bucket));
             LoadBalancer balancer = LoadBalancer.start(LoadBalancer.Kind.HAPROXY,
                     List.of("127.0.0.1:" + first.port(), "127.0.0.1:" + second.port()), dir.resolve("haproxy"));
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            RegistryClient client = new RegistryClient(balancer.url(), RegistryClient.newHttpClient());
            ImagePushes pushes = new ImagePushes(client, 1); // no retries: every answer during the outage counts
            AtomicBoolean running = new AtomicBoolean(true);
            List<Future<?>> pushers = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                int pusher = p;
                pushers.add(clients.submit(() -> {
                    for (int i = 0; running.get(); i++) {
                        pushes.push("outage/app" + pusher, "v" + i, 100_000 + i);
                    }
                }));
            }
            // Pulls of what was stored before the outage, meanwhile: whole and exact, or refused; never partial.
            ImagePushes stored = new ImagePushes(client, 3);
            assertThat(stored.push("outage/stored", "v1", 1_000_000)).isTrue();
            ImagePushes.Image storedImage = stored.acknowledgedImages().getFirst();
            List<String> pulls = new ArrayList<>();
            Future<?> puller = clients.submit(() -> {
                byte[] layer = storedImage.blobs().get(1);
                while (running.get()) {
                    try {
                        HttpResponse<byte[]> pulled = client.get("/v2/outage/stored/blobs/" + sha256(layer));
                        synchronized (pulls) {
                            pulls.add(pulled.statusCode() == 200 && !sha256(pulled.body()).equals(sha256(layer))
                                    ? "200 with other bytes" : Integer.toString(pulled.statusCode()));
                        }
                    } catch (RuntimeException broken) {
                        synchronized (pulls) {
                            pulls.add("connection failed");
                        }
                    }
                }
            });

            Thread.sleep(800);
            int beforeOutage = pushes.acknowledgedImages().size();
            s3.proxy().pause();
            Thread.sleep(2_500);
            int answersBeforeRecovery = pushes.answers().size();
            s3.proxy().resume();
            Thread.sleep(1_500);
            running.set(false);
            for (Future<?> pusher : pushers) {
                pusher.get();
            }
            puller.get();

            List<ImagePushes.Answer> answers = pushes.answers();
            assertThat(beforeOutage).as("images pushed before the outage").isPositive();
            assertThat(answers.subList(0, answersBeforeRecovery)).as("answers during the outage")
                    .anyMatch(answer -> answer.status() == 503);
            for (ImagePushes.Answer answer : answers) {
                assertThat(answer.status()).as("%s", answer).isIn(201, 202, 503);
                if (answer.status() == 503 && fromTheBalancer(answer)) {
                    continue; // every node's /readyz failed its health checks: HAProxy had no node to send it to
                }
                if (answer.status() == 503) {
                    JsonNode error = JSON.readTree(answer.body()).get("errors").get(0);
                    assertThat(error.get("code").asString()).as("%s", answer).isEqualTo("UNKNOWN");
                    assertThat(error.get("message").asString()).as("%s", answer).isNotBlank();
                }
            }
            assertThat(pulls).as("pulls of a stored blob").contains("200").doesNotContain("200 with other bytes");

            // After the outage: once the balancer's health checks see a node ready again, every blob anyone tried
            // to push is absent or exact, and every acknowledgement held.
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (client.get("/readyz").statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            for (Map.Entry<String, byte[]> blob : pushes.attemptedBlobs().entrySet()) {
                HttpResponse<byte[]> pulled = client.get("/v2/outage/stored/blobs/" + blob.getKey());
                HttpResponse<byte[]> anywhere = pulled;
                for (int p = 0; p < 3 && anywhere.statusCode() == 404; p++) {
                    anywhere = client.get("/v2/outage/app" + p + "/blobs/" + blob.getKey());
                }
                assertThat(anywhere.statusCode()).as(blob.getKey()).isIn(200, 404);
                if (anywhere.statusCode() == 200) {
                    assertThat(sha256(anywhere.body())).isEqualTo(blob.getKey());
                } else {
                    assertThat(pushes.acknowledgedBlobs()).as("an acknowledged blob is served")
                            .doesNotContainKey(blob.getKey());
                }
            }
            for (ImagePushes.Image image : pushes.acknowledgedImages()) {
                ImagePushes.assertServed(client, image, "after the outage");
            }
            ImagePushes after = new ImagePushes(client, 1);
            for (int i = 0; i < 2; i++) {
                assertThat(after.push("outage/after", "v" + i, 100_000)).as("push %d after the outage: %s", i,
                        after.answers()).isTrue();
            }
        }
    }

    private static Config node(Path data, TestDatabase database, S3Settings bucket) {
        return Config.DEFAULTS.withListen("127.0.0.1:0").withData(data).withMetadata(database.url(), null, null)
                .withStorage(new StorageConfig.S3(bucket));
    }

    /** HAProxy's own answer when it has no node up, rather than a node's. */
    private static boolean fromTheBalancer(ImagePushes.Answer answer) {
        return answer.body() != null && new String(answer.body(), StandardCharsets.UTF_8)
                .contains("No server is available to handle this request");
    }
}
