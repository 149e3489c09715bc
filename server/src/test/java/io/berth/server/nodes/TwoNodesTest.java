package io.berth.server.nodes;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.berth.server.BerthServer;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.LogCapture;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Two servers on one PostgreSQL database and one blob directory, as behind a round-robin load balancer: what a client
 * wrote through one is what the other serves from the moment the write was answered, and an upload whose requests
 * alternate between them is hashed as it streams, never read back.
 */
class TwoNodesTest {
    private static final String OCTETS = "application/octet-stream";

    private TestRegistry registry;
    private BerthServer second;
    private RegistryClient a;
    private RegistryClient b;
    private String repository;

    @BeforeEach
    void startTwoNodes() throws Exception {
        registry = TestRegistry.start(Backend.POSTGRES); // skips, or fails in CI, without PostgreSQL
        second = BerthServer.start(registry.config().withListen("127.0.0.1:0"));
        a = new RegistryClient(registry.url());
        b = new RegistryClient("http://127.0.0.1:" + second.port());
        repository = uniqueRepository("nodes");
    }

    @AfterEach
    void stop() {
        if (second != null) {
            second.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** A manifest of the same config and layer that differs by an annotation: a new digest each time. */
    private static final class Manifests {
        private final Map<String, Object> config;
        private final Map<String, Object> layer;

        Manifests(RegistryClient client, String repository) {
            byte[] configBytes = TestContent.imageConfig("amd64");
            byte[] layerBytes = TestContent.randomBytes(2048);
            client.pushBlob(repository, configBytes);
            client.pushBlob(repository, layerBytes);
            config = TestContent.descriptor(TestContent.OCI_CONFIG, configBytes);
            layer = TestContent.descriptor(TestContent.OCI_LAYER, layerBytes);
        }

        byte[] number(int n) {
            Map<String, Object> manifest = TestContent.ociManifest(config, List.of(layer));
            manifest.put("annotations", Map.of("io.berth.test.n", Integer.toString(n)));
            return TestContent.toJson(manifest);
        }
    }

    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asString).toList();
    }

    private List<String> tagsThrough(RegistryClient node) {
        HttpResponse<byte[]> response = node.get("/v2/" + repository + "/tags/list");
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        return strings(json(response).get("tags"));
    }

    private List<String> referrersThrough(RegistryClient node, String subject) {
        HttpResponse<byte[]> response = node.get("/v2/" + repository + "/referrers/" + subject);
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        List<String> digests = new ArrayList<>();
        json(response).get("manifests").forEach(descriptor -> digests.add(descriptor.get("digest").asString()));
        return digests;
    }

    @Test
    void aTagMovedThroughOneNodeIsServedByTheOtherAtOnceEveryTime() {
        Manifests manifests = new Manifests(a, repository);
        String tag = "/v2/" + repository + "/manifests/latest";
        int stale = 0;
        List<String> examples = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            byte[] manifest = manifests.number(i);
            String digest = a.pushManifest(repository, "latest", TestContent.OCI_MANIFEST, manifest);

            HttpResponse<byte[]> get = b.get(tag, "Accept", TestContent.OCI_MANIFEST);
            HttpResponse<byte[]> head = b.head(tag, "Accept", TestContent.OCI_MANIFEST);

            boolean fresh = get.statusCode() == 200 && Arrays.equals(get.body(), manifest)
                    && digest.equals(header(get, "Docker-Content-Digest"))
                    && head.statusCode() == 200 && digest.equals(header(head, "Docker-Content-Digest"));
            if (!fresh) {
                stale++;
                if (examples.size() < 5) {
                    examples.add("push " + i + " of " + digest + ": GET " + get.statusCode() + " "
                            + header(get, "Docker-Content-Digest") + ", HEAD " + head.statusCode() + " "
                            + header(head, "Docker-Content-Digest"));
                }
            }
        }
        assertThat(stale).as("stale answers, e.g. %s", examples).isZero();
    }

    @Test
    void tagListsAndReferrersSeenThroughOneNodeShowWhatWasJustPushedThroughTheOther() {
        RegistryClient.PushedImage subject = a.pushImage(repository, "subject");
        List<String> signatures = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // Each listing is read through b first, so that b holds it in memory when a changes it.
            assertThat(tagsThrough(b)).doesNotContain("t" + i);
            assertThat(referrersThrough(b, subject.digest())).containsExactlyInAnyOrderElementsOf(signatures);

            a.pushManifest(repository, "t" + i, TestContent.OCI_MANIFEST, subject.manifest());
            signatures.add(a.pushSignature(repository, subject));

            assertThat(tagsThrough(b)).contains("t" + i);
            assertThat(referrersThrough(b, subject.digest())).containsExactlyInAnyOrderElementsOf(signatures);
        }
        // A deleted tag leaves the other node's listing at once too.
        assertThat(a.delete("/v2/" + repository + "/manifests/t0").statusCode()).isEqualTo(202);
        assertThat(tagsThrough(b)).doesNotContain("t0").contains("t1");
        // And so does a deleted referrer.
        String gone = signatures.removeFirst();
        assertThat(a.delete("/v2/" + repository + "/manifests/" + gone).statusCode()).isEqualTo(202);
        assertThat(referrersThrough(b, subject.digest())).containsExactlyInAnyOrderElementsOf(signatures);
    }

    @Test
    void aManifestDeletedThroughOneNodeIsGoneFromTheOtherAtOnce() {
        RegistryClient.PushedImage image = a.pushImage(repository, "v1");
        a.pushManifest(repository, "v1-alias", TestContent.OCI_MANIFEST, image.manifest());
        String byDigest = "/v2/" + repository + "/manifests/" + image.digest();
        String byTag = "/v2/" + repository + "/manifests/v1";
        for (String target : List.of(byDigest, byTag, byTag + "-alias")) {
            assertThat(b.get(target, "Accept", TestContent.OCI_MANIFEST).statusCode()).isEqualTo(200);
        }

        assertThat(a.delete("/v2/" + repository + "/manifests/v1-alias").statusCode()).isEqualTo(202);
        b.assertAbsent(byTag + "-alias", "MANIFEST_UNKNOWN");
        assertThat(b.get(byTag, "Accept", TestContent.OCI_MANIFEST).statusCode()).isEqualTo(200);

        assertThat(a.delete(byDigest).statusCode()).isEqualTo(202);
        b.assertAbsent(byDigest, "MANIFEST_UNKNOWN");
        b.assertAbsent(byTag, "MANIFEST_UNKNOWN");
    }

    @Test
    void aRepositoryDeletedAndPushedAgainThroughOneNodeIsListedAfreshByTheOther() {
        a.pushImage(repository, "old");
        assertThat(tagsThrough(b)).containsExactly("old");

        HttpResponse<byte[]> deleted = a.delete("/api/v1/repositories/" + repository);
        assertThat(deleted.statusCode()).as(body(deleted)).isBetween(200, 204);
        assertThat(b.get("/v2/" + repository + "/tags/list").statusCode()).isEqualTo(404);

        // The same writes as before: only the repository's new row tells its listings apart from the old ones.
        a.pushImage(repository, "new");
        assertThat(tagsThrough(b)).containsExactly("new");
    }

    @Test
    void aChunkedUploadAlternatingBetweenNodesIsHashedAsItStreamsAndNeverReadBack() {
        byte[] blob = TestContent.randomBytes(5 * 1024 * 1024 + 13);
        // Cuts inside 64-byte blocks, so the saved states carry bytes waiting in the hash's buffer.
        int[] cuts = {0, 1, 100_003, 1024 * 1024 + 7, 3 * 1024 * 1024 + 65, 5 * 1024 * 1024 - 1, blob.length - 5};
        RegistryClient[] nodes = {a, b};
        try (LogCapture uploads = new LogCapture("io.berth.registry.Uploads", Level.DEBUG)) {
            String upload = a.startUpload(repository);
            for (int i = 0; i + 1 < cuts.length; i++) {
                HttpResponse<byte[]> response = nodes[(i + 1) % 2].patch(upload,
                        Arrays.copyOfRange(blob, cuts[i], cuts[i + 1]),
                        "Content-Type", OCTETS, "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
                assertThat(response.statusCode()).as("PATCH %d: %s", i, body(response)).isEqualTo(202);
                upload = RegistryClient.location(response);
            }
            // The last PATCH went to b: a finishes, with the last bytes.
            HttpResponse<byte[]> done = a.put(withQuery(upload, "digest=" + sha256(blob)),
                    Arrays.copyOfRange(blob, blob.length - 5, blob.length), "Content-Type", OCTETS);
            assertThat(done.statusCode()).as(body(done)).isEqualTo(201);

            assertThat(uploads.messages()).as("uploads read back to hash them")
                    .noneMatch(message -> message.startsWith("re-reading"));
        }
        for (RegistryClient node : nodes) {
            assertThat(node.get("/v2/" + repository + "/blobs/" + sha256(blob)).body()).isEqualTo(blob);
        }
    }
}
