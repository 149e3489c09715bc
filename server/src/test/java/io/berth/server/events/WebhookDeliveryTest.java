package io.berth.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.events.EventType;
import io.berth.server.Config;
import io.berth.server.auth.RepositoryGlob;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/** Events reach webhook endpoints: all of them, in commit order, signed, filtered and in the format asked for. */
class WebhookDeliveryTest {
    private static final String SECRET = "a secret the receiver shares";

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aReceiverThatFailsHalfTheTimeThenIsDownGetsEveryEventInCommitOrder(Backend backend) throws Exception {
        try (Receiver receiver = new Receiver()) {
            receiver.failEveryOther();
            try (TestRegistry registry = TestRegistry.start(backend, config -> withEndpoints(config,
                    endpoint("flaky", receiver.url(), EventFormat.CLOUDEVENTS, Set.of(), List.of(), SECRET)))) {
                RegistryClient client = new RegistryClient(registry.url());
                String repository = TestContent.uniqueRepository("webhook");
                for (int i = 0; i < 10; i++) {
                    client.pushImage(repository, "v" + i);
                }
                receiver.stop();
                for (int i = 10; i < 15; i++) {
                    client.pushImage(repository, "v" + i);
                }
                Thread.sleep(Duration.ofSeconds(30));
                receiver.start();
                receiver.succeed();
                List<String> expected = ids(RegistryClient.json(client.get("/admin/events?limit=1000")));
                assertThat(expected).hasSize(1 + 15 * 2);

                await(Duration.ofSeconds(90), () -> acceptedIds(receiver).containsAll(expected));

                // Each id at least once, and the first delivery of each in commit order.
                assertThat(List.copyOf(new LinkedHashSet<>(acceptedIds(receiver)))).isEqualTo(expected);
                assertThat(receiver.deliveries()).anySatisfy(d -> assertThat(d.answered()).isEqualTo(500));
                for (Receiver.Delivery delivery : receiver.deliveries()) {
                    assertThat(delivery.header("Berth-Signature")).isEqualTo(hmac(SECRET, delivery.body()));
                    assertThat(delivery.header("Content-Type")).startsWith("application/cloudevents+json");
                    JsonNode event = TestContent.parse(delivery.body());
                    assertThat(delivery.header("Berth-Event-Id")).isEqualTo(event.path("id").asString());
                    assertThat(event.path("source").asString()).isEqualTo("/berth-test");
                }
                await(Duration.ofSeconds(10), () -> RegistryClient.json(client.get("/admin/notifications"))
                        .path("endpoints").get(0).path("lag").asLong() == 0);
                JsonNode status = RegistryClient.json(client.get("/admin/notifications")).path("endpoints").get(0);
                assertThat(status.path("name").asString()).isEqualTo("flaky");
                assertThat(Instant.parse(status.path("lastSuccess").asString())).isBefore(Instant.now());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void filtersChooseTheEventsAndTheDistributionEnvelopeCarriesPushesAndDeletes(Backend backend) throws Exception {
        try (Receiver signatures = new Receiver(); Receiver distribution = new Receiver()) {
            Endpoint onlyReferrers = endpoint("signatures", signatures.url(), EventFormat.CLOUDEVENTS,
                    Set.of(EventType.REFERRER_PUSHED), List.of("team/**"), null);
            Endpoint envelope = new Endpoint("registry2", URI.create(distribution.url()), EventFormat.DISTRIBUTION,
                    Set.of(), List.of(), Set.of(), Set.of(), Map.of("Authorization", "Bearer receiver-token"), null,
                    Duration.ofSeconds(5), 1);
            try (TestRegistry registry = TestRegistry.start(backend, config -> withEndpoints(config, onlyReferrers,
                    envelope))) {
                RegistryClient client = new RegistryClient(registry.url());
                String team = "team/" + TestContent.uniqueRepository("app");
                String other = TestContent.uniqueRepository("other");
                RegistryClient.PushedImage teamImage = client.pushImage(team, "v1");
                String teamSignature = client.pushSignature(team, teamImage);
                RegistryClient.PushedImage otherImage = client.pushImage(other, "v1");
                client.pushSignature(other, otherImage);
                assertThat(client.delete("/v2/" + other + "/manifests/v1").statusCode()).isEqualTo(202);

                await(Duration.ofSeconds(20), () -> distribution.accepted().size() == 5);
                await(Duration.ofSeconds(20), () -> !signatures.accepted().isEmpty());
                Thread.sleep(500); // anything else the filters let through would arrive by now

                assertThat(signatures.accepted()).singleElement().satisfies(delivery -> {
                    JsonNode event = TestContent.parse(delivery.body());
                    assertThat(event.path("type").asString()).isEqualTo("io.berth.referrer.pushed");
                    assertThat(event.path("data").path("digest").asString()).isEqualTo(teamSignature);
                    assertThat(delivery.header("Berth-Signature")).isNull();
                });
                List<String> actions = new ArrayList<>();
                for (Receiver.Delivery delivery : distribution.accepted()) {
                    assertThat(delivery.header("Content-Type"))
                            .isEqualTo("application/vnd.docker.distribution.events.v2+json");
                    assertThat(delivery.header("Authorization")).isEqualTo("Bearer receiver-token");
                    JsonNode event = TestContent.parse(delivery.body()).path("events").get(0);
                    actions.add(event.path("action").asString() + " " + event.path("target").path("repository")
                            .asString() + " " + event.path("target").path("tag").asString(""));
                }
                assertThat(actions).containsExactly("push " + team + " v1", "push " + team + " ",
                        "push " + other + " v1", "push " + other + " ", "delete " + other + " v1");
                JsonNode first = TestContent.parse(distribution.accepted().getFirst().body()).path("events").get(0);
                assertThat(first.path("target").path("digest").asString()).isEqualTo(teamImage.digest());
                assertThat(first.path("target").path("mediaType").asString()).isEqualTo(TestContent.OCI_MANIFEST);
                assertThat(first.path("target").path("size").asLong()).isEqualTo(teamImage.manifest().length);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aReplayDeliversAgainFromTheEventAsked(Backend backend) throws Exception {
        try (Receiver receiver = new Receiver()) {
            try (TestRegistry registry = TestRegistry.start(backend, config -> withEndpoints(config,
                    endpoint("replayed", receiver.url(), EventFormat.CLOUDEVENTS, Set.of(), List.of(), null)))) {
                RegistryClient client = new RegistryClient(registry.url());
                client.pushImage(TestContent.uniqueRepository("replay"), "v1");
                List<String> ids = ids(RegistryClient.json(client.get("/admin/events")));
                await(Duration.ofSeconds(20), () -> acceptedIds(receiver).equals(ids));

                RegistryClient.assertError(client.post("/admin/notifications/nobody/replay?from=1", new byte[0]),
                        404, "NAME_UNKNOWN");
                RegistryClient.assertError(client.post("/admin/notifications/replayed/replay", new byte[0]), 400,
                        "UNSUPPORTED");
                assertThat(client.post("/admin/notifications/replayed/replay?from=" + ids.get(1), new byte[0])
                        .statusCode()).isEqualTo(200);

                List<String> again = new ArrayList<>(ids);
                again.addAll(ids.subList(1, ids.size()));
                await(Duration.ofSeconds(20), () -> acceptedIds(receiver).equals(again));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void batchedEndpointsGetWhatAccumulatedInArraysAndEnvelopesOfSeveralInCommitOrder(Backend backend)
            throws Exception {
        try (Receiver cloud = new Receiver(); Receiver envelopes = new Receiver()) {
            Endpoint batchedCloud = new Endpoint("batched", URI.create(cloud.url()), EventFormat.CLOUDEVENTS, Set.of(),
                    List.of(), Set.of(), Set.of(), Map.of(), SECRET, Duration.ofSeconds(5), 4);
            Endpoint batchedEnvelopes = new Endpoint("envelopes", URI.create(envelopes.url()),
                    EventFormat.DISTRIBUTION, Set.of(), List.of(), Set.of(), Set.of(), Map.of(), null,
                    Duration.ofSeconds(5), 4);
            try (TestRegistry registry = TestRegistry.start(backend, config -> withEndpoints(config, batchedCloud,
                    batchedEnvelopes))) {
                RegistryClient client = new RegistryClient(registry.url());
                String repository = TestContent.uniqueRepository("batch");
                for (int i = 0; i < 5; i++) {
                    client.pushImage(repository, "v" + i);
                }
                List<String> expected = ids(RegistryClient.json(client.get("/admin/events?limit=1000")));
                assertThat(expected).hasSize(1 + 5 * 2);
                await(Duration.ofSeconds(20), () -> batchIds(cloud).containsAll(expected));
                // the envelope carries the pushes (tags and the repository's creation have no action in it)
                await(Duration.ofSeconds(20), () -> envelopeIds(envelopes).size() == 5);

                // replayed from the first, all of them are waiting at once: they go four to a request
                int before = cloud.accepted().size();
                int envelopesBefore = envelopes.accepted().size();
                for (String endpoint : List.of("batched", "envelopes")) {
                    assertThat(client.post("/admin/notifications/" + endpoint + "/replay?from=" + expected.getFirst(),
                            new byte[0]).statusCode()).isEqualTo(200);
                }
                await(Duration.ofSeconds(20), () -> batchIds(cloud).size() == 2 * expected.size());
                await(Duration.ofSeconds(20), () -> envelopeIds(envelopes).size() == 10);

                assertThat(batchIds(cloud)).isEqualTo(concat(expected, expected));
                assertThat(cloud.accepted().size() - before).isEqualTo(3);
                for (Receiver.Delivery delivery : cloud.accepted()) {
                    assertThat(delivery.header("Content-Type")).startsWith("application/cloudevents-batch+json");
                    assertThat(delivery.header("Berth-Signature")).isEqualTo(hmac(SECRET, delivery.body()));
                    JsonNode batch = TestContent.parse(delivery.body());
                    assertThat(batch.isArray()).isTrue();
                    assertThat(batch.size()).isBetween(1, 4);
                    assertThat(delivery.header("Berth-Event-Id")).isEqualTo(batch.get(batch.size() - 1).path("id")
                            .asString());
                    batch.forEach(event -> assertThat(event.path("specversion").asString()).isEqualTo("1.0"));
                }
                List<String> envelopeIds = envelopeIds(envelopes);
                assertThat(envelopeIds.subList(5, 10)).isEqualTo(envelopeIds.subList(0, 5));
                assertThat(envelopes.accepted().size() - envelopesBefore).isEqualTo(2);
                assertThat(envelopes.accepted()).allSatisfy(delivery -> assertThat(
                        TestContent.parse(delivery.body()).path("events").size()).isBetween(1, 4));
            }
        }
    }

    private static List<String> envelopeIds(Receiver receiver) {
        List<String> ids = new ArrayList<>();
        receiver.accepted().forEach(delivery -> TestContent.parse(delivery.body()).path("events")
                .forEach(event -> ids.add(event.path("id").asString())));
        return ids;
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** The ids of the events in the batches a receiver accepted, in the order it accepted them. */
    static List<String> batchIds(Receiver receiver) {
        List<String> ids = new ArrayList<>();
        for (Receiver.Delivery delivery : receiver.accepted()) {
            TestContent.parse(delivery.body()).forEach(event -> ids.add(event.path("id").asString()));
        }
        return ids;
    }

    static Config withEndpoints(Config config, Endpoint... endpoints) {
        return config.withNotifications(new NotificationsConfig(List.of(endpoints), Duration.ofDays(7),
                "/berth-test", false));
    }

    static Endpoint endpoint(String name, String url, EventFormat format, Set<EventType> events,
                             List<String> repositories, String secret) {
        return new Endpoint(name, URI.create(url), format, events,
                repositories.stream().map(RepositoryGlob::new).toList(), Set.of(), Set.of(), Map.of(), secret,
                Duration.ofSeconds(5), 1);
    }

    static List<String> ids(JsonNode feed) {
        List<String> ids = new ArrayList<>();
        feed.path("events").forEach(event -> ids.add(event.path("id").asString()));
        return ids;
    }

    static List<String> acceptedIds(Receiver receiver) {
        return receiver.accepted().stream().map(delivery -> delivery.header("Berth-Event-Id")).toList();
    }

    /** HMAC-SHA256 computed here, not with Berth's code: what a receiver checking the header would compute. */
    static String hmac(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            assertThat(Instant.now()).as("waited %s", timeout).isBefore(end);
            Thread.sleep(50);
        }
    }
}
