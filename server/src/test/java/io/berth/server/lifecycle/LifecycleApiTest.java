package io.berth.server.lifecycle;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.EMPTY_JSON;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_EMPTY;
import static io.berth.server.protocol.TestContent.OCI_INDEX;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.LifecycleConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.RepositorySummaries;
import io.berth.server.testing.TestRegistry;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * Lifecycle policies on a real server, on each backend: set through the admin API or the config, previewed, applied,
 * and the pull times they use.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class LifecycleApiTest {
    private static final String KEEP_TWO_RELEASES = """
            {"rules": [
              {"rulePriority": 1, "description": "keep two releases",
               "selection": {"tagStatus": "tagged", "tagPatternList": ["v*"], "countType": "imageCountMoreThan",
                             "countNumber": 2},
               "action": {"type": "expire"}},
              {"rulePriority": 2, "description": "untagged after a week",
               "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                             "countNumber": 7},
               "action": {"type": "expire"}}
            ]}""";

    @Parameter
    Backend backend;

    private TestRegistry registry;
    private RegistryClient client;
    private LifecycleDatabase database;

    private void start(UnaryOperator<io.berth.server.Config> tweak) {
        registry = TestRegistry.start(backend, tweak);
        client = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
        database = new LifecycleDatabase(registry.config().effectiveMetadataUrl());
    }

    private void start() {
        start(UnaryOperator.identity());
    }

    @AfterEach
    void stop() {
        if (registry != null) {
            try { // the tests set push and pull times in the database
                RepositorySummaries.assertCountsExact(registry.config().effectiveMetadataUrl());
            } finally {
                registry.close();
            }
        }
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private HttpResponse<byte[]> putPolicy(String repositories, String policy) {
        return client.put("/admin/lifecycle?repositories=" + query(repositories),
                policy.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
    }

    private JsonNode preview(String repository) {
        HttpResponse<byte[]> response = client.get("/admin/lifecycle/preview"
                + (repository == null ? "" : "?repository=" + query(repository)));
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        return json(response);
    }

    private JsonNode apply() {
        HttpResponse<byte[]> response = client.post("/admin/lifecycle/apply", new byte[0]);
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        return json(response);
    }

    /** The digests listed under {@code field} for the repository in a preview or apply answer. */
    private static List<String> digests(JsonNode answer, String repository, String field) {
        List<String> digests = new ArrayList<>();
        for (JsonNode entry : answer.path("repositories")) {
            if (entry.path("repository").asString().equals(repository)) {
                entry.path(field).forEach(expiry -> digests.add(expiry.path("digest").asString()));
            }
        }
        return digests;
    }

    /** An image pushed by digest only: untagged. */
    private Map<String, Object> untaggedImage(String repository) {
        byte[] config = TestContent.imageConfig("amd64");
        client.pushBlob(repository, config);
        byte[] manifest = toJson(TestContent.ociManifest(descriptor(OCI_CONFIG, config), List.of()));
        client.pushManifest(repository, sha256(manifest), OCI_MANIFEST, manifest);
        return descriptor(OCI_MANIFEST, manifest);
    }

    private String pushReferrer(String repository, Map<String, Object> subject) {
        client.pushBlob(repository, EMPTY_JSON);
        Map<String, Object> manifest = TestContent.ociManifest(descriptor(OCI_EMPTY, EMPTY_JSON), List.of());
        manifest.put("artifactType", "application/vnd.example.sbom.v1+json");
        manifest.put("subject", subject);
        byte[] bytes = toJson(manifest);
        return client.pushManifest(repository, sha256(bytes), OCI_MANIFEST, bytes);
    }

    private String pushImage(String repository, String tag, double daysAgo) {
        String digest = client.pushImage(repository, tag).digest();
        database.pushedDaysAgo(digest, daysAgo);
        return digest;
    }

    @Test
    void previewListsWhatEachRuleWouldExpireAndWhyAndChangesNothing() {
        start();
        assertThat(putPolicy("team/**", KEEP_TWO_RELEASES).statusCode()).isEqualTo(200);
        String v1 = pushImage("team/app", "v1", 30);
        String v2 = pushImage("team/app", "v2", 20);
        String v3 = pushImage("team/app", "v3", 10);
        String v4 = pushImage("team/app", "v4", 5);
        String latest = pushImage("team/app", "latest", 1);
        String oldUntagged = (String) untaggedImage("team/app").get("digest");
        database.pushedDaysAgo(oldUntagged, 8);
        String newUntagged = (String) untaggedImage("team/app").get("digest");
        pushImage("other/app", "v1", 90);

        JsonNode preview = preview(null);

        assertThat(preview.path("repositories")).hasSize(1);
        JsonNode repository = preview.path("repositories").get(0);
        assertThat(repository.path("repository").asString()).isEqualTo("team/app");
        assertThat(repository.path("policy").path("repositories").asString()).isEqualTo("team/**");
        assertThat(repository.path("policy").path("source").asString()).isEqualTo("api");
        assertThat(digests(preview, "team/app", "expire")).containsExactly(v1, v2, oldUntagged);
        JsonNode first = repository.path("expire").get(0);
        assertThat(first.path("tags").get(0).asString()).isEqualTo("v1");
        assertThat(Instant.parse(first.path("pushedAt").asString()))
                .isBetween(Instant.now().minus(Duration.ofDays(30)).minusSeconds(60),
                        Instant.now().minus(Duration.ofDays(30)).plusSeconds(60));
        assertThat(first.path("lastPulledAt").isNull()).isTrue();
        assertThat(first.path("rule").path("rulePriority").asInt()).isEqualTo(1);
        assertThat(first.path("rule").path("description").asString()).isEqualTo("keep two releases");
        assertThat(first.path("reason").asString()).isEqualTo("more than 2 images: 4th newest");
        assertThat(repository.path("expire").get(2).path("tags")).isEmpty();
        assertThat(repository.path("expire").get(2).path("reason").asString())
                .isEqualTo("pushed 8 days ago (more than 7)");
        assertThat(digests(preview("team/app"), "team/app", "expire")).containsExactly(v1, v2, oldUntagged);
        assertThat(preview("other/app").path("repositories")).isEmpty();

        for (String digest : List.of(v1, v2, v3, v4, latest, oldUntagged, newUntagged)) {
            assertThat(database.exists(digest)).as(digest).isTrue();
        }
    }

    @Test
    void applyDeletesTheExpiredImagesAndTheirTagsAtOnceAndAuditsEachDeletion() {
        start();
        putPolicy("team/app", KEEP_TWO_RELEASES);
        String v1 = pushImage("team/app", "v1", 30);
        String v2 = pushImage("team/app", "v2", 20);
        String v3 = pushImage("team/app", "v3", 10);
        // Pulled first, so the server holds tag and manifest in its cache.
        assertThat(client.get("/v2/team/app/manifests/v1").statusCode()).isEqualTo(200);
        assertThat(client.get("/v2/team/app/manifests/v1").statusCode()).isEqualTo(200);

        JsonNode applied;
        try (AuditCapture audit = new AuditCapture()) {
            applied = apply();
            assertThat(audit.lines()).anySatisfy(line -> assertThat(line)
                    .contains("\"event\":\"delete\"", "\"subject\":\"lifecycle\"", "\"repository\":\"team/app\"",
                            "\"digest\":\"" + v1 + "\""));
        }

        assertThat(digests(applied, "team/app", "expired")).containsExactly(v1);
        assertThat(applied.path("expired").asInt()).isEqualTo(1);
        assertError(client.get("/v2/team/app/manifests/v1"), 404, "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/team/app/manifests/" + v1), 404, "MANIFEST_UNKNOWN");
        assertThat(client.get("/v2/team/app/manifests/v2").statusCode()).isEqualTo(200);
        assertThat(client.get("/v2/team/app/manifests/v3").statusCode()).isEqualTo(200);
        assertThat(json(client.get("/v2/team/app/tags/list")).path("tags").toString()).isEqualTo("[\"v2\",\"v3\"]");
        assertThat(database.exists(v2) && database.exists(v3)).isTrue();
        assertThat(digests(apply(), "team/app", "expired")).isEmpty();
    }

    @Test
    void referrersAndIndexChildrenAreNeverCountedOrExpiredThemselves() {
        start();
        String repository = "team/multi";
        Map<String, Object> amd64 = untaggedImage(repository);
        Map<String, Object> arm64 = untaggedImage(repository);
        byte[] index = toJson(TestContent.index(OCI_INDEX, List.of(amd64, arm64)));
        String indexDigest = client.pushManifest(repository, "v1", OCI_INDEX, index);
        String indexReferrer = pushReferrer(repository, descriptor(OCI_INDEX, index));
        RegistryClient.PushedImage single = client.pushImage(repository, "v2");
        String singleReferrer = pushReferrer(repository, single.descriptor());
        for (String digest : List.of((String) amd64.get("digest"), (String) arm64.get("digest"), indexDigest,
                indexReferrer)) {
            database.pushedDaysAgo(digest, 10);
        }
        database.pushedDaysAgo(single.digest(), 5);
        // Counted, the children and referrers would crowd out both images: only the index is the older image.
        putPolicy(repository, """
                {"rules": [{"rulePriority": 1,
                  "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                  "action": {"type": "expire"}}]}""");

        assertThat(digests(preview(repository), repository, "expire")).containsExactly(indexDigest);
        JsonNode applied = apply();

        assertThat(digests(applied, repository, "expired")).containsExactly(indexDigest);
        List<String> children = new ArrayList<>();
        applied.path("repositories").get(0).path("children").forEach(child -> children.add(child.asString()));
        assertThat(children).containsExactlyInAnyOrder((String) amd64.get("digest"), (String) arm64.get("digest"));
        assertThat(database.exists(indexDigest)).isFalse();
        assertThat(database.exists((String) amd64.get("digest"))).isFalse();
        assertThat(database.exists(single.digest())).isTrue();
        // Referrers follow their subject: the live one's stay; the expired one's are garbage collection's.
        assertThat(database.exists(singleReferrer)).isTrue();
        assertThat(database.exists(indexReferrer)).isTrue();
    }

    @Test
    void sinceImagePulledKeepsWhatWasPulledLatelyIncludingPullsNotYetWritten() {
        start();
        String pulledJustNow = pushImage("team/app", "a", 100);
        String pulledLongAgo = pushImage("team/app", "b", 100);
        String neverPulled = pushImage("team/app", "c", 100);
        String pushedLately = pushImage("team/app", "d", 3);
        database.pulledDaysAgo(pulledJustNow, 60);
        database.pulledDaysAgo(pulledLongAgo, 60);
        assertThat(client.get("/v2/team/app/manifests/a").statusCode()).isEqualTo(200);
        putPolicy("team/*", """
                {"rules": [{"rulePriority": 1, "description": "unused for a month",
                  "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days",
                                "countNumber": 30},
                  "action": {"type": "expire"}}]}""");

        JsonNode applied = apply();

        assertThat(digests(applied, "team/app", "expired")).containsExactlyInAnyOrder(pulledLongAgo, neverPulled);
        assertThat(database.exists(pulledJustNow)).isTrue();
        assertThat(database.exists(pushedLately)).isTrue();
    }

    @Test
    void pullsAreWrittenInBatchesNotOnePerPullAndHeadIsNoPull() {
        start();
        String pulled = pushImage("team/app", "pulled", 0);
        String checked = pushImage("team/app", "checked", 0);
        Instant before = Instant.now().minusSeconds(1);

        for (int i = 0; i < 3; i++) { // the first from the database, then from the cache on the I/O thread
            assertThat(client.get("/v2/team/app/manifests/pulled").statusCode()).isEqualTo(200);
        }
        assertThat(client.get("/v2/team/app/manifests/" + pulled).statusCode()).isEqualTo(200);
        assertThat(client.head("/v2/team/app/manifests/checked").statusCode()).isEqualTo(200);
        assertThat(client.head("/v2/team/app/manifests/" + checked).statusCode()).isEqualTo(200);
        assertThat(database.lastPulledAt(pulled)).isNull();

        putPolicy("team/**", KEEP_TWO_RELEASES);
        preview("team/app"); // writes this server's pull times first

        assertThat(database.lastPulledAt(pulled)).isAfter(before).isBefore(Instant.now().plusSeconds(1));
        assertThat(database.lastPulledAt(checked)).isNull();
    }

    @Test
    void pullTimesGatheredInMemoryAreWrittenWhenTheServerStops() throws Exception {
        start();
        String digest = pushImage("team/app", "v1", 0);
        assertThat(client.get("/v2/team/app/manifests/v1").statusCode()).isEqualTo(200);
        assertThat(database.lastPulledAt(digest)).isNull();

        registry.restart();

        assertThat(database.lastPulledAt(digest)).isNotNull();
    }

    @Test
    void policiesAreSetListedAndRemovedThroughTheAdminApiAlongsideTheConfigs() {
        start(config -> config.withLifecycle(List.of(new LifecycleConfig(List.of("**"), """
                {"rules": [{"rulePriority": 1,
                  "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
                  "action": {"type": "expire"}}]}"""))));

        HttpResponse<byte[]> stored = putPolicy("team/*", KEEP_TWO_RELEASES);
        assertThat(stored.statusCode()).as(body(stored)).isEqualTo(200);
        assertThat(json(stored).path("repositories").asString()).isEqualTo("team/*");
        assertThat(json(stored).path("source").asString()).isEqualTo("api");
        assertThat(json(stored).path("policy").path("rules").get(0).path("description").asString())
                .isEqualTo("keep two releases");

        JsonNode listed = json(client.get("/admin/lifecycle"));
        assertThat(listed.path("policies")).hasSize(2);
        assertThat(listed.path("policies").get(0).path("repositories").asString()).isEqualTo("**");
        assertThat(listed.path("policies").get(0).path("source").asString()).isEqualTo("config");
        assertThat(listed.path("policies").get(0).path("updatedAt").isNull()).isTrue();
        assertThat(listed.path("policies").get(1).path("repositories").asString()).isEqualTo("team/*");
        assertThat(listed.path("policies").get(1).path("updatedAt").asString()).isNotEmpty();

        // The more specific glob governs team/app; the config's "**" everything else.
        client.pushImage("team/app", "v1");
        client.pushImage("ops/app", "v1");
        JsonNode preview = preview(null);
        assertThat(preview.path("repositories")).hasSize(2);
        for (JsonNode entry : preview.path("repositories")) {
            assertThat(entry.path("policy").path("repositories").asString())
                    .isEqualTo(entry.path("repository").asString().equals("team/app") ? "team/*" : "**");
        }

        assertThat(client.delete("/admin/lifecycle?repositories=" + query("team/*")).statusCode()).isEqualTo(204);
        assertThat(json(client.get("/admin/lifecycle")).path("policies")).hasSize(1);
        HttpResponse<byte[]> again = client.delete("/admin/lifecycle?repositories=" + query("team/*"));
        assertError(again, 404, "NAME_UNKNOWN");
        assertThat(json(again).path("errors").get(0).path("detail").asString())
                .isEqualTo("no lifecycle policy was set for team/*");
        HttpResponse<byte[]> configured = client.delete("/admin/lifecycle?repositories=" + query("**"));
        assertError(configured, 404, "NAME_UNKNOWN");
        assertThat(json(configured).path("errors").get(0).path("detail").asString())
                .isEqualTo("the lifecycle policy for ** comes from the config file; change it there");
    }

    @Test
    void anInvalidPolicyIsRefusedWithWhatIsWrongAndNothingIsStored() {
        start();
        HttpResponse<byte[]> invalid = putPolicy("team/*", """
                {"rules": [{"rulePriority": 3,
                  "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countNumber": 5},
                  "action": {"type": "expire"}}]}""");
        assertError(invalid, 400, "POLICY_INVALID");
        assertThat(json(invalid).path("errors").get(0).path("detail").asString()).isEqualTo(
                "rulePriority 3: selection.countUnit is required with countType sinceImagePushed (use \"days\")");

        HttpResponse<byte[]> badGlob = putPolicy("Team App", KEEP_TWO_RELEASES);
        assertError(badGlob, 400, "POLICY_INVALID");
        assertError(client.put("/admin/lifecycle", KEEP_TWO_RELEASES.getBytes(StandardCharsets.UTF_8)), 400,
                "POLICY_INVALID");
        assertThat(client.post("/admin/lifecycle/preview", new byte[0]).statusCode()).isEqualTo(405);
        assertThat(json(client.get("/admin/lifecycle")).path("policies")).isEmpty();
        assertError(client.get("/admin/lifecycle/preview?repository=" + query("Not Valid")), 400, "NAME_INVALID");
    }
}
