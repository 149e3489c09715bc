package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_INDEX;
import static io.berth.server.protocol.TestContent.OCI_LAYER;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.QuotaRule;
import io.berth.server.testing.RepositorySummaries;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * Quotas over HTTP: each repository under {@code small/**} may hold 20,000 bytes, each under {@code few/**} two
 * images. A push past a limit is refused with {@code 403 DENIED} and a message that names the quota and what the
 * repository holds; a blob or manifest the repository has already is never refused.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class QuotaTest {
    private static final long SMALL = 20_000;

    @Parameter
    Setup setup;

    private static TestRegistry registry;
    private static RegistryClient client;

    @BeforeParameterizedClassInvocation
    static void startRegistry(Setup setup) {
        registry = setup.start(config -> config.withQuotas(List.of(
                new QuotaRule(List.of("small/**"), SMALL, null),
                new QuotaRule(List.of("few/**"), null, 2L))));
        client = new RegistryClient(registry.url());
    }

    @AfterParameterizedClassInvocation
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    @AfterEach
    void summariesMatchTheirRows() {
        RepositorySummaries.assertExact(registry.config().effectiveMetadataUrl());
    }

    @Test
    void aBlobThatWouldTakeTheRepositoryPastItsBytesIsRefusedWithTheQuotaAndTheUsageInTheMessage() {
        String repository = "small/" + uniqueRepository("app");
        byte[] first = TestContent.randomBytes(15_000);
        client.pushBlob(repository, first);
        byte[] second = TestContent.randomBytes(6_000);

        HttpResponse<byte[]> monolithic = client.post("/v2/" + repository + "/blobs/uploads/?digest=" + sha256(second),
                second, "Content-Type", "application/octet-stream");
        assertError(monolithic, 403, "DENIED");
        assertThat(json(monolithic).path("errors").get(0).path("message").asString())
                .isEqualTo("quota 'small/**' allows 19.5 KiB in " + repository + ", which holds 14.6 KiB; this blob "
                        + "adds 5.9 KiB: delete images (or ask for a larger quota) to push it");
        client.assertAbsent("/v2/" + repository + "/blobs/" + sha256(second), "BLOB_UNKNOWN");

        // chunked: refused when the upload is finished, and its session is gone
        String location = client.startUpload(repository);
        client.patch(location, second, "Content-Type", "application/octet-stream");
        assertError(client.put(RegistryClient.withQuery(location, "digest=" + sha256(second)), new byte[0]), 403,
                "DENIED");
        assertThat(client.get(location).statusCode()).isEqualTo(404);

        // what fits, and what the repository holds already, is taken
        client.pushBlob(repository, TestContent.randomBytes(4_000));
        client.pushBlob(repository, first);
        // a mount of a blob from elsewhere counts too
        String elsewhere = uniqueRepository("elsewhere");
        client.pushBlob(elsewhere, second);
        assertError(client.post("/v2/" + repository + "/blobs/uploads/?mount=" + sha256(second) + "&from="
                + elsewhere, new byte[0]), 403, "DENIED");

        JsonNode shown = json(client.get("/api/v1/repositories/" + repository));
        assertThat(shown.path("sizeBytes").asLong()).isEqualTo(19_000);
        assertThat(shown.path("quotas").toString())
                .isEqualTo("[{\"name\":\"'small/**'\",\"maxBytes\":20000,\"maxImages\":null}]");
    }

    @Test
    void aManifestThatWouldTakeTheRepositoryPastItsBytesIsRefused() {
        String repository = "small/" + uniqueRepository("app");
        byte[] config = TestContent.imageConfig("amd64");
        byte[] layer = TestContent.randomBytes((int) SMALL - config.length - 10);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, layer))));

        HttpResponse<byte[]> push = client.putManifest(repository, "v1", OCI_MANIFEST, manifest);

        assertError(push, 403, "DENIED");
        assertThat(body(push)).contains("quota 'small/**'", "this manifest adds " + manifest.length + " B");
        client.assertAbsent("/v2/" + repository + "/manifests/v1", "MANIFEST_UNKNOWN");
    }

    @Test
    void anImageBeyondTheCountIsRefusedButAnIndexsPlatformsAndReferrersAreNot() {
        String repository = "few/" + uniqueRepository("app");
        RegistryClient.PushedImage first = client.pushImage(repository, "v1");
        client.pushImage(repository, "v2");
        // the same manifest under another tag is no new image
        assertThat(client.putManifest(repository, "stable", OCI_MANIFEST, first.manifest()).statusCode())
                .isEqualTo(201);
        // a signature is a referrer, not an image
        client.pushSignature(repository, first);

        HttpResponse<byte[]> third = pushImage(repository, "v3");
        assertError(third, 403, "DENIED");
        assertThat(json(third).path("errors").get(0).path("message").asString())
                .isEqualTo("quota 'few/**' allows 2 images in " + repository + ", and it holds 2: delete images (or "
                        + "ask for a larger quota) to push more");

        // platforms pushed by digest are taken (they may be an index's, pushed before it); the index, which would be
        // one more image, is refused like any image
        List<Map<String, Object>> platforms = new ArrayList<>();
        for (String architecture : List.of("amd64", "arm64")) {
            byte[] manifest = imageManifest(repository);
            assertThat(client.putManifest(repository, sha256(manifest), OCI_MANIFEST, manifest).statusCode())
                    .isEqualTo(201);
            Map<String, Object> child = new LinkedHashMap<>(descriptor(OCI_MANIFEST, manifest));
            child.put("platform", TestContent.platform("linux", architecture));
            platforms.add(child);
        }
        byte[] index = TestContent.toJson(TestContent.index(OCI_INDEX, platforms));
        assertError(client.putManifest(repository, "multi", OCI_INDEX, index), 403, "DENIED");
    }

    @Test
    void pushesRacingIntoOneRepositoryNeverTakeItPastItsQuota() throws Exception {
        // Each sees the repository empty before its change; the check in the change's transaction sees the others.
        String few = "few/" + uniqueRepository("race");
        List<byte[]> manifests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            manifests.add(imageManifest(few));
        }
        List<Integer> images = race(8, i -> client.putManifest(few, "r" + i, OCI_MANIFEST, manifests.get(i)));
        assertThat(images).filteredOn(status -> status == 201).hasSize(2);
        assertThat(images).filteredOn(status -> status == 403).hasSize(6);
        assertThat(json(client.get("/api/v1/repositories/" + few)).path("imageCount").asLong()).isEqualTo(2);

        String small = "small/" + uniqueRepository("race");
        List<byte[]> blobs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            blobs.add(TestContent.randomBytes(6_000)); // three fit in 20,000 bytes
        }
        List<Integer> uploads = race(8, i -> client.post("/v2/" + small + "/blobs/uploads/?digest="
                + sha256(blobs.get(i)), blobs.get(i), "Content-Type", "application/octet-stream"));
        assertThat(uploads).filteredOn(status -> status == 201).hasSize(3);
        assertThat(uploads).filteredOn(status -> status == 403).hasSize(5);
        assertThat(json(client.get("/api/v1/repositories/" + small)).path("sizeBytes").asLong()).isEqualTo(18_000);
    }

    /** Sends {@code count} requests at once, from as many threads; their statuses. */
    private static List<Integer> race(int count, IntFunction<HttpResponse<byte[]>> request) throws Exception {
        CyclicBarrier start = new CyclicBarrier(count);
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                statuses.add(pool.submit(() -> {
                    start.await();
                    return request.apply(n).statusCode();
                }));
            }
            List<Integer> result = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                result.add(status.get());
            }
            return result;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Pushes a one-layer image under {@code tag} and answers the manifest push. */
    private static HttpResponse<byte[]> pushImage(String repository, String tag) {
        byte[] manifest = imageManifest(repository);
        return client.putManifest(repository, tag, OCI_MANIFEST, manifest);
    }

    /** Pushes the config and layer of a new one-layer image; its manifest, not pushed. */
    private static byte[] imageManifest(String repository) {
        byte[] config = TestContent.imageConfig("arm64");
        byte[] layer = TestContent.randomBytes(1000);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        return TestContent.toJson(TestContent.ociManifest(descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, layer))));
    }
}
