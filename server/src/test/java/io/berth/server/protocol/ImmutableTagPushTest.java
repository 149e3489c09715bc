package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_LAYER;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.ImmutableTagsRule;
import io.berth.server.testing.AuditCapture;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * Tag immutability over HTTP: in repositories under {@code release/**} a tag, once set, keeps its manifest, except
 * {@code latest} and {@code *-SNAPSHOT}. Its own registry per setup, because the rules are part of the config.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class ImmutableTagPushTest {
    private static final String RULE = "immutableTags rule 1: release/**, except latest, *-SNAPSHOT";

    /** Bound so that the class-level setup below receives it too. */
    @Parameter
    Setup setup;

    private static TestRegistry registry;
    private static RegistryClient client;

    private String repository;
    private Map<String, Object> config;
    private Map<String, Object> layer;

    @BeforeParameterizedClassInvocation
    static void startRegistry(Setup setup) {
        registry = setup.start(config -> config.withImmutableTags(List.of(
                new ImmutableTagsRule(List.of("release/**"), List.of("latest", "*-SNAPSHOT")))));
        client = new RegistryClient(registry.url());
    }

    @AfterParameterizedClassInvocation
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    @BeforeEach
    void newRepository() {
        repository = "release/" + uniqueRepository("app");
    }

    @Test
    void movingAnImmutableTagIsDeniedNamingTheRuleAndNothingIsStored() {
        String first = client.pushManifest(repository, "v1", OCI_MANIFEST, manifest("first"));
        byte[] second = manifest("second");

        HttpResponse<byte[]> response;
        try (AuditCapture audit = new AuditCapture()) {
            response = client.putManifest(repository, "v1", OCI_MANIFEST, second);
            assertThat(audit.lines()).anySatisfy(line -> assertThat(line)
                    .contains("\"event\":\"push\"", "\"result\":\"refused\"", "\"reference\":\"v1\"", RULE));
        }

        assertError(response, 403, "DENIED");
        String expected = "tag v1 in " + repository + " is immutable (" + RULE + ") and points to " + first;
        JsonNode error = json(response).path("errors").get(0);
        assertThat(error.path("message").asString()).as("what clients print").isEqualTo(expected);
        assertThat(error.path("detail").asString()).isEqualTo(expected);
        assertThat(header(response, "Docker-Content-Digest")).isNull();
        assertThat(tagged("v1")).isEqualTo(first);
        assertError(client.get("/v2/" + repository + "/manifests/" + sha256(second)), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void pushingTheSameManifestAgainIsAccepted() {
        byte[] manifest = manifest("same");
        String digest = client.pushManifest(repository, "v1", OCI_MANIFEST, manifest);

        HttpResponse<byte[]> again = client.putManifest(repository, "v1", OCI_MANIFEST, manifest);

        assertThat(again.statusCode()).as(body(again)).isEqualTo(201);
        assertThat(header(again, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(tagged("v1")).isEqualTo(digest);
    }

    @Test
    void exceptedTagsMoveFreely() {
        for (String tag : List.of("latest", "1.0-SNAPSHOT")) {
            client.pushManifest(repository, tag, OCI_MANIFEST, manifest(tag + "-old"));
            String moved = client.pushManifest(repository, tag, OCI_MANIFEST, manifest(tag + "-new"));

            assertThat(tagged(tag)).as(tag).isEqualTo(moved);
        }
    }

    @Test
    void repositoriesOutsideTheRuleAreUnaffected() {
        repository = uniqueRepository("release");
        client.pushManifest(repository, "v1", OCI_MANIFEST, manifest("first"));

        String moved = client.pushManifest(repository, "v1", OCI_MANIFEST, manifest("second"));

        assertThat(tagged("v1")).isEqualTo(moved);
    }

    @Test
    void tagParametersOfAPushByDigestAreImmutableTooAndARefusalAppliesNoneOfThem() {
        byte[] first = manifest("first");
        String firstDigest = sha256(first);
        assertThat(pushByDigest(first, "v1").statusCode()).isEqualTo(201);
        assertThat(pushByDigest(first, "v1", "v1.0").statusCode()).as("same manifest again, one new tag")
                .isEqualTo(201);
        byte[] second = manifest("second");

        HttpResponse<byte[]> response = pushByDigest(second, "v2", "v1", "latest");

        assertError(response, 403, "DENIED");
        assertThat(json(response).path("errors").get(0).path("detail").asString())
                .startsWith("tag v1 in " + repository + " is immutable (" + RULE + ")");
        assertThat(tagged("v1")).isEqualTo(firstDigest);
        assertThat(tagged("v1.0")).isEqualTo(firstDigest);
        assertError(client.get("/v2/" + repository + "/manifests/v2"), 404, "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + repository + "/manifests/latest"), 404, "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + repository + "/manifests/" + sha256(second)), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void anImmutableTagMayBeDeletedAndThenSetAnew() {
        client.pushManifest(repository, "v1", OCI_MANIFEST, manifest("first"));

        HttpResponse<byte[]> deleted = client.delete("/v2/" + repository + "/manifests/v1");

        assertThat(deleted.statusCode()).as(body(deleted)).isEqualTo(202);
        String second = client.pushManifest(repository, "v1", OCI_MANIFEST, manifest("second"));
        assertThat(tagged("v1")).isEqualTo(second);
    }

    @Test
    void ofConcurrentPushesOfDifferentManifestsToOneNewTagExactlyOneWins() throws Exception {
        int pushers = 4;
        int rounds = 25;
        try (ExecutorService threads = Executors.newFixedThreadPool(pushers)) {
            for (int round = 0; round < rounds; round++) {
                String tag = "r" + round;
                List<byte[]> manifests = new ArrayList<>();
                for (int i = 0; i < pushers; i++) {
                    manifests.add(manifest(tag + "-" + i));
                }
                CyclicBarrier start = new CyclicBarrier(pushers);
                List<Future<HttpResponse<byte[]>>> pushes = new ArrayList<>();
                for (byte[] manifest : manifests) {
                    pushes.add(threads.submit(() -> {
                        start.await();
                        return client.putManifest(repository, tag, OCI_MANIFEST, manifest);
                    }));
                }

                List<String> winners = new ArrayList<>();
                for (int i = 0; i < pushers; i++) {
                    HttpResponse<byte[]> response = pushes.get(i).get();
                    String digest = sha256(manifests.get(i));
                    if (response.statusCode() == 201) {
                        winners.add(digest);
                    } else {
                        assertError(response, 403, "DENIED");
                        assertThat(json(response).path("errors").get(0).path("detail").asString())
                                .startsWith("tag " + tag + " in " + repository + " is immutable");
                        assertThat(client.get("/v2/" + repository + "/manifests/" + digest).statusCode())
                                .as("a losing manifest is not stored").isEqualTo(404);
                    }
                }
                assertThat(winners).as("round %d", round).hasSize(1);
                assertThat(tagged(tag)).as("round %d", round).isEqualTo(winners.getFirst());
            }
        }
    }

    /** The digest the tag resolves to. */
    private String tagged(String tag) {
        HttpResponse<byte[]> response = client.head("/v2/" + repository + "/manifests/" + tag);
        assertThat(response.statusCode()).as("HEAD %s:%s", repository, tag).isEqualTo(200);
        return header(response, "Docker-Content-Digest");
    }

    private HttpResponse<byte[]> pushByDigest(byte[] manifest, String... tags) {
        StringBuilder target = new StringBuilder("/v2/" + repository + "/manifests/" + sha256(manifest));
        for (int i = 0; i < tags.length; i++) {
            target.append(i == 0 ? '?' : '&').append("tag=").append(tags[i]);
        }
        return client.put(target.toString(), manifest, "Content-Type", OCI_MANIFEST);
    }

    /** An image manifest over the repository's one config and layer, made distinct by an annotation. */
    private byte[] manifest(String name) {
        if (config == null) {
            byte[] configBytes = TestContent.imageConfig("amd64");
            byte[] layerBytes = TestContent.randomBytes(512);
            client.pushBlob(repository, configBytes);
            client.pushBlob(repository, layerBytes);
            config = descriptor(OCI_CONFIG, configBytes);
            layer = descriptor(OCI_LAYER, layerBytes);
        }
        Map<String, Object> manifest = TestContent.ociManifest(config, List.of(layer));
        manifest.put("annotations", Map.of("org.opencontainers.image.title", name));
        return TestContent.toJson(manifest);
    }
}
