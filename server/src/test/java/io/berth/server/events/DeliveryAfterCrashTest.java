package io.berth.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.ChildServer;
import io.berth.server.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Nothing committed is left unannounced: a server killed during pushes delivers, once restarted, the event of every
 * push it acknowledged, and none of a push it did not commit; of two servers sharing PostgreSQL, the one left
 * carries on the deliveries of the one killed.
 */
class DeliveryAfterCrashTest {
    private static final String REPOSITORY = "crash/app";

    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void afterAKillDuringPushesEveryAcknowledgedPushIsDeliveredAndNoOther() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Map<String, String> environment = Map.of("BERTH_CONFIG", config(receiver, "").toString());
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            try (ChildServer server = ChildServer.start(dir.resolve("data"), environment, dir.resolve("server.log"))) {
                RegistryClient client = new RegistryClient(server.url());
                List<Thread> pushers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    pushers.add(Thread.ofVirtual().start(() -> {
                        try {
                            for (int i = 0; ; i++) {
                                acknowledged.add(client.pushImage(REPOSITORY, "t" + thread + "-" + i).digest());
                            }
                        } catch (RuntimeException | AssertionError killed) {
                            // the server is gone: this push was not acknowledged
                        }
                    }));
                }
                Thread.sleep(3000);
                server.kill();
                for (Thread pusher : pushers) {
                    pusher.join();
                }
            }
            assertThat(acknowledged).hasSizeGreaterThan(4);

            try (ChildServer restarted = ChildServer.start(dir.resolve("data"), environment,
                    dir.resolve("server.log"))) {
                WebhookDeliveryTest.await(Duration.ofSeconds(60), () -> pushedDigests(receiver).containsAll(acknowledged));
                RegistryClient client = new RegistryClient(restarted.url());
                for (String digest : pushedDigests(receiver)) {
                    assertThat(client.get("/v2/" + REPOSITORY + "/manifests/" + digest).statusCode())
                            .as("the manifest of a delivered push event, %s", digest).isEqualTo(200);
                }
                List<String> all = allIds(client);
                WebhookDeliveryTest.await(Duration.ofSeconds(30),
                        () -> WebhookDeliveryTest.acceptedIds(receiver).containsAll(all));
                assertThat(List.copyOf(new LinkedHashSet<>(WebhookDeliveryTest.acceptedIds(receiver))))
                        .isEqualTo(all);
            }
        }
    }

    @Test
    @Timeout(240)
    void ofTwoServersOnOneDatabaseTheOneLeftCarriesOnWhenTheDeliveringOneDies() throws Exception {
        try (TestDatabase database = TestDatabase.create(); Receiver receiver = new Receiver()) {
            receiver.slowDown(100);
            Map<String, String> environment = Map.of("BERTH_CONFIG", config(receiver, """
                    metadata:
                      url: %s
                    storage:
                      path: %s
                    """.formatted(database.url(), dir.resolve("blobs"))).toString());
            ChildServer first = ChildServer.start(dir.resolve("a"), environment, dir.resolve("a.log"));
            ChildServer second = ChildServer.start(dir.resolve("b"), environment, dir.resolve("b.log"));
            try {
                RegistryClient client = new RegistryClient(first.url());
                RegistryClient other = new RegistryClient(second.url());
                for (int i = 0; i < 30; i++) {
                    (i % 2 == 0 ? client : other).pushImage(REPOSITORY, "v" + i);
                }
                WebhookDeliveryTest.await(Duration.ofSeconds(30), () -> receiver.accepted().size() >= 10);
                assertThat(WebhookDeliveryTest.acceptedIds(receiver))
                        .as("both servers commit events, one delivers them: no duplicates without a failure")
                        .doesNotHaveDuplicates();
                JsonNode status = RegistryClient.json(client.get("/admin/notifications"));
                String delivering = status.path("endpoints").get(0).path("deliveredBy").asString();
                assertThat(delivering).as("a server holds the lease while it delivers").isNotEmpty();
                boolean firstDelivers = delivering.equals(status.path("server").asString());
                ChildServer killed = firstDelivers ? first : second;
                ChildServer left = firstDelivers ? second : first;
                killed.kill();
                int before = receiver.accepted().size();

                List<String> all = allIds(new RegistryClient(left.url()));
                assertThat(all).hasSize(1 + 30 * 2);
                assertThat(before).as("killed mid-delivery").isLessThan(all.size());
                // The lease of the server killed runs out, and the one left takes over.
                WebhookDeliveryTest.await(Duration.ofSeconds(60),
                        () -> WebhookDeliveryTest.acceptedIds(receiver).containsAll(all));
                assertThat(List.copyOf(new LinkedHashSet<>(WebhookDeliveryTest.acceptedIds(receiver))))
                        .isEqualTo(all);
                // Redelivered are at most what the killed server had sent and not yet recorded as delivered.
                assertThat(WebhookDeliveryTest.acceptedIds(receiver).size() - all.size()).isLessThanOrEqualTo(100);
            } finally {
                first.close();
                second.close();
            }
        }
    }

    private Path config(Receiver receiver, String more) throws Exception {
        return Files.writeString(dir.resolve("berth-" + System.nanoTime() + ".yaml"), more + """
                notifications:
                  endpoints:
                    - name: crash
                      url: %s
                """.formatted(receiver.url()));
    }

    private static Set<String> pushedDigests(Receiver receiver) {
        Set<String> digests = new HashSet<>();
        for (Receiver.Delivery delivery : receiver.accepted()) {
            JsonNode event = io.berth.server.protocol.TestContent.parse(delivery.body());
            if (event.path("type").asString().equals("io.berth.image.pushed")) {
                digests.add(event.path("data").path("digest").asString());
            }
        }
        return digests;
    }

    private static List<String> allIds(RegistryClient client) {
        return WebhookDeliveryTest.ids(RegistryClient.json(client.get("/admin/events?limit=1000")));
    }
}
