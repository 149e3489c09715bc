package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.GcConfig;
import io.berth.server.events.NotificationsConfig;
import io.berth.server.testing.TestRegistry;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every change is recorded as its event, in the transaction of the change: read back through the admin feed, in
 * commit order, with the data each kind of change carries, and nothing for a push that was refused.
 */
class EventRecordingTest extends PerBackendRegistryTest {
    @Test
    void aFirstPushByTagCreatesTheRepositoryPushesTheImageAndCreatesTheTag() {
        String repository = TestContent.uniqueRepository("events");
        RegistryClient.PushedImage image = client.pushImage(repository, "v1");

        List<JsonNode> events = events(client, repository);

        assertThat(types(events)).containsExactly("io.berth.repository.created", "io.berth.image.pushed",
                "io.berth.tag.updated");
        JsonNode pushed = events.get(1);
        assertThat(pushed.path("specversion").asString()).isEqualTo("1.0");
        assertThat(pushed.path("subject").asString()).isEqualTo(repository + "@" + image.digest());
        JsonNode data = pushed.path("data");
        assertThat(data.path("digest").asString()).isEqualTo(image.digest());
        assertThat(data.path("mediaType").asString()).isEqualTo(TestContent.OCI_MANIFEST);
        assertThat(data.path("artifactType").asString()).isEqualTo(TestContent.OCI_CONFIG);
        assertThat(data.path("size").asLong()).isEqualTo(image.manifest().length);
        assertThat(data.path("tags").toString()).isEqualTo("[\"v1\"]");
        assertThat(data.path("actor").path("kind").asString()).isEqualTo("anonymous");
        assertThat(data.path("requestId").asString()).isNotEmpty();
        assertThat(data.has("subjectDigest")).isFalse();
        JsonNode tag = events.get(2).path("data");
        assertThat(tag.path("tag").asString()).isEqualTo("v1");
        assertThat(tag.path("digest").asString()).isEqualTo(image.digest());
        assertThat(tag.has("previousDigest")).isFalse();
        // ids grow in commit order, and stay what they were when read again
        assertThat(ids(events)).isSorted().doesNotHaveDuplicates();
        assertThat(ids(events(client, repository))).isEqualTo(ids(events));
    }

    @Test
    void movingATagNamesTheManifestItPointedToAndPushingItAgainIsNoTagEvent() {
        String repository = TestContent.uniqueRepository("events");
        RegistryClient.PushedImage first = client.pushImage(repository, "latest");
        RegistryClient.PushedImage second = client.pushImage(repository, "latest");
        client.pushManifest(repository, "latest", TestContent.OCI_MANIFEST, second.manifest());

        List<JsonNode> events = events(client, repository);

        assertThat(types(events)).containsExactly("io.berth.repository.created", "io.berth.image.pushed",
                "io.berth.tag.updated", "io.berth.image.pushed", "io.berth.tag.updated", "io.berth.image.pushed");
        JsonNode moved = events.get(4).path("data");
        assertThat(moved.path("digest").asString()).isEqualTo(second.digest());
        assertThat(moved.path("previousDigest").asString()).isEqualTo(first.digest());
        assertThat(events.get(4).path("subject").asString()).isEqualTo(repository + ":latest");
    }

    @Test
    void aReferrerPushIsAReferrerEventWithItsSubjectAndArtifactType() {
        String repository = TestContent.uniqueRepository("events");
        RegistryClient.PushedImage image = client.pushImage(repository, "v1");
        String referrer = client.pushSignature(repository, image);

        List<JsonNode> events = events(client, repository);

        JsonNode last = events.getLast();
        assertThat(last.path("type").asString()).isEqualTo("io.berth.referrer.pushed");
        assertThat(last.path("data").path("digest").asString()).isEqualTo(referrer);
        assertThat(last.path("data").path("subjectDigest").asString()).isEqualTo(image.digest());
        assertThat(last.path("data").path("artifactType").asString()).isEqualTo(RegistryClient.SIGNATURE_TYPE);
        assertThat(last.path("data").has("tags")).isFalse();
    }

    @Test
    void anIndexPushListsThePlatformsOfItsChildren() {
        String repository = TestContent.uniqueRepository("events");
        RegistryClient.PushedImage amd64 = client.pushImage(repository, "amd64");
        RegistryClient.PushedImage arm64 = client.pushImage(repository, "arm64");
        Map<String, Object> amd64Child = amd64.descriptor();
        amd64Child.put("platform", TestContent.platform("linux", "amd64"));
        Map<String, Object> arm64Child = arm64.descriptor();
        Map<String, Object> arm = TestContent.platform("linux", "arm64");
        arm.put("variant", "v8");
        arm64Child.put("platform", arm);
        byte[] index = TestContent.toJson(TestContent.index(TestContent.OCI_INDEX, List.of(amd64Child, arm64Child)));
        String digest = client.pushManifest(repository, "multi", TestContent.OCI_INDEX, index);

        JsonNode pushed = ofType(events(client, repository), "io.berth.image.pushed").getLast().path("data");

        assertThat(pushed.path("digest").asString()).isEqualTo(digest);
        assertThat(pushed.path("mediaType").asString()).isEqualTo(TestContent.OCI_INDEX);
        assertThat(pushed.path("platforms").toString()).isEqualTo("[\"linux/amd64\",\"linux/arm64/v8\"]");
    }

    @Test
    void deletionsAreRecordedWithWhatWentWithThem() {
        String repository = TestContent.uniqueRepository("events");
        RegistryClient.PushedImage image = client.pushImage(repository, "v1");
        client.pushManifest(repository, "v2", TestContent.OCI_MANIFEST, image.manifest());
        String referrer = client.pushSignature(repository, image);
        String layer = TestContent.sha256(image.layers().getFirst());

        assertThat(client.delete("/v2/" + repository + "/manifests/v2").statusCode()).isEqualTo(202);
        assertThat(client.delete("/v2/" + repository + "/manifests/" + referrer).statusCode()).isEqualTo(202);
        assertThat(client.delete("/v2/" + repository + "/manifests/" + image.digest()).statusCode()).isEqualTo(202);
        assertThat(client.delete("/v2/" + repository + "/blobs/" + layer).statusCode()).isEqualTo(202);

        List<JsonNode> events = events(client, repository);
        List<JsonNode> deletions = events.subList(events.size() - 4, events.size());
        assertThat(types(deletions)).containsExactly("io.berth.tag.deleted", "io.berth.referrer.deleted",
                "io.berth.image.deleted", "io.berth.blob.deleted");
        assertThat(deletions.get(0).path("data").path("tag").asString()).isEqualTo("v2");
        assertThat(deletions.get(0).path("data").path("digest").asString()).isEqualTo(image.digest());
        assertThat(deletions.get(1).path("data").path("subjectDigest").asString()).isEqualTo(image.digest());
        assertThat(deletions.get(2).path("data").path("tags").toString()).isEqualTo("[\"v1\"]");
        assertThat(deletions.get(3).path("data").path("digest").asString()).isEqualTo(layer);
        assertThat(deletions.get(3).path("data").path("size").asLong()).isEqualTo(image.layers().getFirst().length);
    }

    @Test
    void aRefusedPushRecordsNothing() {
        String repository = TestContent.uniqueRepository("events");
        byte[] config = TestContent.imageConfig("amd64");
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, config), List.of()));

        // the config blob was never pushed: MANIFEST_BLOB_UNKNOWN, and the repository is not created either
        assertThat(client.putManifest(repository, "v1", TestContent.OCI_MANIFEST, manifest).statusCode())
                .isEqualTo(400);

        assertThat(events(client, repository)).isEmpty();
    }

    @Test
    void lifecycleExpiryAndGarbageCollectionActAsTheSystem() throws Exception {
        try (TestRegistry own = setup.start(config -> config.withGc(
                new GcConfig(Duration.ZERO, Duration.ZERO, Duration.ZERO, List.of())))) {
            RegistryClient admin = new RegistryClient(own.url());
            String repository = TestContent.uniqueRepository("events");
            RegistryClient.PushedImage old = admin.pushImage(repository, "old");
            admin.pushSignature(repository, old);
            admin.pushImage(repository, "new");
            String policy = "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\","
                    + "\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\"}}]}";
            assertThat(admin.put("/admin/lifecycle?repositories=" + URLEncoder.encode(repository,
                    StandardCharsets.UTF_8), policy.getBytes(StandardCharsets.UTF_8), "Content-Type",
                    "application/json").statusCode()).isEqualTo(200);
            assertThat(admin.post("/admin/lifecycle/apply", new byte[0]).statusCode()).isEqualTo(200);
            assertThat(admin.post("/admin/gc", new byte[0]).statusCode()).isEqualTo(200);

            List<JsonNode> events = events(admin, repository);
            JsonNode expired = ofType(events, "io.berth.image.deleted").getFirst().path("data");
            assertThat(expired.path("digest").asString()).isEqualTo(old.digest());
            assertThat(expired.path("actor").path("kind").asString()).isEqualTo("system");
            assertThat(expired.path("actor").path("name").asString()).isEqualTo("lifecycle");
            JsonNode orphan = ofType(events, "io.berth.referrer.deleted").getFirst().path("data");
            assertThat(orphan.path("subjectDigest").asString()).isEqualTo(old.digest());
            assertThat(orphan.path("actor").path("name").asString()).isEqualTo("gc");
            assertThat(ofType(events, "io.berth.blob.deleted")).isNotEmpty()
                    .allSatisfy(event -> assertThat(event.path("data").path("actor").path("name").asString())
                            .isEqualTo("gc"));
            String oldLayer = TestContent.sha256(old.layers().getFirst());
            assertThat(ofType(events(admin, null), "io.berth.blob.collected"))
                    .anySatisfy(event -> assertThat(event.path("subject").asString()).isEqualTo(oldLayer));
        }
    }

    @Test
    void pullsAreCountedInOneEventPerManifestWhenSwitchedOn() throws Exception {
        try (TestRegistry own = setup.start(config -> config.withNotifications(
                new NotificationsConfig(List.of(), Duration.ofDays(7), "/berth", true)))) {
            RegistryClient pulling = new RegistryClient(own.url());
            String repository = TestContent.uniqueRepository("events");
            RegistryClient.PushedImage image = pulling.pushImage(repository, "v1");
            assertThat(pulling.get("/v2/" + repository + "/manifests/v1").statusCode()).isEqualTo(200);
            assertThat(pulling.get("/v2/" + repository + "/manifests/" + image.digest()).statusCode()).isEqualTo(200);
            assertThat(pulling.get("/v2/" + repository + "/manifests/v1").statusCode()).isEqualTo(200);
            assertThat(pulling.head("/v2/" + repository + "/manifests/v1").statusCode()).as("not a pull")
                    .isEqualTo(200);

            own.restart(); // writes the pull times gathered, as every half minute

            List<JsonNode> pulled = ofType(events(new RegistryClient(own.url()), repository), "io.berth.image.pulled");
            assertThat(pulled).singleElement().satisfies(event -> {
                assertThat(event.path("data").path("digest").asString()).isEqualTo(image.digest());
                assertThat(event.path("data").path("pulls").asLong()).isEqualTo(3);
                assertThat(event.path("data").path("mediaType").asString()).isEqualTo(TestContent.OCI_MANIFEST);
                assertThat(event.path("data").path("actor").path("kind").asString()).isEqualTo("system");
            });
        }
        String quiet = TestContent.uniqueRepository("events");
        client.pushImage(quiet, "v1");
        assertThat(client.get("/v2/" + quiet + "/manifests/v1").statusCode()).isEqualTo(200);
        registry.restart(); // same port: the client goes on
        assertThat(ofType(events(client, quiet), "io.berth.image.pulled")).as("switched off by default").isEmpty();
    }

    @Test
    void theFeedPagesAndRefusesBadArguments() {
        String repository = TestContent.uniqueRepository("events");
        client.pushImage(repository, "v1");
        JsonNode all = json(client.get("/admin/events?after=0&limit=1000"));
        long latest = all.path("latest").asLong();
        JsonNode page = json(client.get("/admin/events?after=" + (latest - 2) + "&limit=1"));

        assertThat(page.path("events")).hasSize(1);
        assertThat(page.path("events").get(0).path("id").asString()).isEqualTo(Long.toString(latest - 1));
        assertThat(page.path("last").asLong()).isEqualTo(latest - 1);
        RegistryClient.assertError(client.get("/admin/events?limit=0"), 400, "UNSUPPORTED");
        RegistryClient.assertError(client.get("/admin/events?after=x"), 400, "UNSUPPORTED");
        RegistryClient.assertError(client.post("/admin/events", new byte[0]), 405, "UNSUPPORTED");
    }

    /** Every event in the outbox about the repository (null: about no repository), read page by page. */
    static List<JsonNode> events(RegistryClient from, String repository) {
        List<JsonNode> result = new ArrayList<>();
        long after = 0;
        while (true) {
            JsonNode page = json(from.get("/admin/events?after=" + after + "&limit=200"));
            for (JsonNode event : page.path("events")) {
                JsonNode about = event.path("data").path("repository");
                if (repository == null ? about.isMissingNode() : repository.equals(about.asString(null))) {
                    result.add(event);
                }
            }
            if (page.path("events").isEmpty()) {
                return result;
            }
            after = page.path("last").asLong();
        }
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(event -> event.path("type").asString()).toList();
    }

    private static List<Long> ids(List<JsonNode> events) {
        return events.stream().map(event -> Long.parseLong(event.path("id").asString())).toList();
    }

    private static List<JsonNode> ofType(List<JsonNode> events, String type) {
        return events.stream().filter(event -> event.path("type").asString().equals(type)).toList();
    }
}
