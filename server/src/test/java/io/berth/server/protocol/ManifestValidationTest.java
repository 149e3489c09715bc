package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.TestContent.DOCKER_CONFIG;
import static io.berth.server.protocol.TestContent.DOCKER_FOREIGN_LAYER;
import static io.berth.server.protocol.TestContent.DOCKER_LAYER;
import static io.berth.server.protocol.TestContent.DOCKER_MANIFEST;
import static io.berth.server.protocol.TestContent.DOCKER_MANIFEST_LIST;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_INDEX;
import static io.berth.server.protocol.TestContent.OCI_LAYER;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.OCI_NONDISTRIBUTABLE_LAYER;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a manifest PUT must be refused for (and what it must not be refused for): schema, media type, references to
 * blobs and children, digest, size.
 */
class ManifestValidationTest extends PerBackendRegistryTest {
    /** The spec: "Clients and registries SHOULD expect to support manifest uploads of at least 4 MiB." */
    private static final int FOUR_MIB = 4 * 1024 * 1024;

    private String repository;
    private byte[] config;
    private byte[] layer;

    @BeforeEach
    void pushBlobs() {
        repository = uniqueRepository("validate");
        config = TestContent.imageConfig("amd64");
        layer = TestContent.randomBytes(1000);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
    }

    private Map<String, Object> validManifest() {
        return TestContent.ociManifest(descriptor(OCI_CONFIG, config), List.of(descriptor(OCI_LAYER, layer)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", "not json", "{", "[]", "null", "42", "{\"schemaVersion\": 2,}"})
    void bodyThatIsNotAJsonObjectIsManifestInvalid(String body) {
        HttpResponse<byte[]> response = client.putManifest(repository, "broken", OCI_MANIFEST,
                body.getBytes(StandardCharsets.UTF_8));

        assertError(response, 400, "MANIFEST_INVALID");
        assertThat(client.get("/v2/" + repository + "/manifests/broken").statusCode()).isEqualTo(404);
    }

    static Stream<Arguments> schemaViolations() {
        return Stream.of(
                violation("schemaVersion missing", m -> m.remove("schemaVersion")),
                violation("schemaVersion 1", m -> m.put("schemaVersion", 1)),
                violation("schemaVersion a string", m -> m.put("schemaVersion", "2")),
                violation("config missing", m -> m.remove("config")),
                violation("config not an object", m -> m.put("config", "sha256:abc")),
                violation("layers not an array", m -> m.put("layers", Map.of())),
                violation("config digest malformed", m -> descriptorOf(m, "config").put("digest", "sha256:nothex")),
                violation("config digest missing", m -> descriptorOf(m, "config").remove("digest")),
                violation("config size missing", m -> descriptorOf(m, "config").remove("size")),
                violation("config size negative", m -> descriptorOf(m, "config").put("size", -1)),
                violation("config size a string", m -> descriptorOf(m, "config").put("size", "12")),
                violation("config mediaType missing", m -> descriptorOf(m, "config").remove("mediaType")),
                violation("layer digest malformed", m -> firstLayer(m).put("digest", "sha256:" + "a".repeat(63))),
                violation("layer is a string", m -> m.put("layers", List.of("sha256:" + "a".repeat(64)))),
                violation("annotations not a string map", m -> m.put("annotations", Map.of("key", 1))),
                violation("subject without digest", m -> m.put("subject", Map.of("mediaType", OCI_MANIFEST, "size", 10))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemaViolations")
    void documentThatBreaksTheSchemaIsManifestInvalid(Consumer<Map<String, Object>> breakIt) {
        Map<String, Object> manifest = validManifest();
        breakIt.accept(manifest);

        HttpResponse<byte[]> response = client.putManifest(repository, "broken", OCI_MANIFEST, TestContent.toJson(manifest));

        assertError(response, 400, "MANIFEST_INVALID");
    }

    /**
     * RFC 8259 section 8.1: JSON exchanged between systems is UTF-8, without a byte order mark. A manifest in another
     * encoding, or with bytes no UTF-8 decoder may accept (an overlong form of a quote), is refused rather than stored
     * and served to clients that would read it differently.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"UTF-16 with a byte order mark", "UTF-16LE with a byte order mark",
            "UTF-8 with a byte order mark", "an overlong UTF-8 quote", "a UTF-8 surrogate", "a cut-off UTF-8 sequence"})
    void manifestThatIsNotUtf8JsonTextIsManifestInvalid(String encoding) {
        Map<String, Object> fields = validManifest();
        fields.put("annotations", Map.of("note", "MARK"));
        String json = new String(TestContent.toJson(fields), StandardCharsets.UTF_8);
        byte[] manifest = switch (encoding) {
            case "UTF-16 with a byte order mark" -> json.getBytes(StandardCharsets.UTF_16);
            case "UTF-16LE with a byte order mark" -> ("\uFEFF" + json).getBytes(StandardCharsets.UTF_16LE);
            case "UTF-8 with a byte order mark" -> ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8);
            case "an overlong UTF-8 quote" -> withBytes(json, (byte) 0xc0, (byte) 0xa2);
            case "a UTF-8 surrogate" -> withBytes(json, (byte) 0xed, (byte) 0xa0, (byte) 0x80);
            default -> withBytes(json, (byte) 0xe2, (byte) 0x82);
        };

        HttpResponse<byte[]> response = client.putManifest(repository, "encoded", OCI_MANIFEST, manifest);

        assertError(response, 400, "MANIFEST_INVALID");
        assertThat(RegistryClient.json(response).path("errors").path(0).path("message").asString())
                .contains("UTF-8");
        assertError(client.get("/v2/" + repository + "/manifests/encoded"), 404, "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + repository + "/manifests/" + sha256(manifest)), 404, "MANIFEST_UNKNOWN");
    }

    /** The JSON text with {@code MARK} replaced by these bytes. */
    private static byte[] withBytes(String json, byte... bytes) {
        int at = json.indexOf("MARK");
        byte[] before = json.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] after = json.substring(at + 4).getBytes(StandardCharsets.UTF_8);
        byte[] result = new byte[before.length + bytes.length + after.length];
        System.arraycopy(before, 0, result, 0, before.length);
        System.arraycopy(bytes, 0, result, before.length, bytes.length);
        System.arraycopy(after, 0, result, before.length + bytes.length, after.length);
        return result;
    }

    @Test
    void indexThatBreaksTheSchemaIsManifestInvalid() {
        Map<String, Object> index = TestContent.index(OCI_INDEX, List.of());
        index.put("manifests", "none");

        assertError(client.putManifest(repository, "broken", OCI_INDEX, TestContent.toJson(index)), 400, "MANIFEST_INVALID");
    }

    @Test
    void mediaTypeFieldThatContradictsTheContentTypeIsManifestInvalid() {
        byte[] manifest = TestContent.toJson(validManifest());

        HttpResponse<byte[]> response = client.putManifest(repository, "mismatch", DOCKER_MANIFEST, manifest);

        assertError(response, 400, "MANIFEST_INVALID");
    }

    @Test
    void indexPushedAsAnImageManifestIsManifestInvalid() {
        byte[] child = TestContent.toJson(validManifest());
        client.pushManifest(repository, sha256(child), OCI_MANIFEST, child);
        Map<String, Object> index = TestContent.index(OCI_INDEX, List.of(descriptor(OCI_MANIFEST, child)));
        index.remove("mediaType");

        HttpResponse<byte[]> response = client.putManifest(repository, "wrong-kind", OCI_MANIFEST, TestContent.toJson(index));

        assertError(response, 400, "MANIFEST_INVALID");
    }

    @Test
    void missingConfigBlobIsManifestBlobUnknown() {
        Map<String, Object> manifest = validManifest();
        manifest.put("config", descriptor(OCI_CONFIG, TestContent.imageConfig("never-pushed")));

        HttpResponse<byte[]> response = client.putManifest(repository, "no-config", OCI_MANIFEST, TestContent.toJson(manifest));

        assertError(response, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(client.get("/v2/" + repository + "/manifests/no-config").statusCode()).isEqualTo(404);
    }

    @Test
    void missingLayerBlobIsManifestBlobUnknown() {
        Map<String, Object> manifest = validManifest();
        manifest.put("layers", List.of(descriptor(OCI_LAYER, layer), descriptor(OCI_LAYER, TestContent.randomBytes(10))));

        HttpResponse<byte[]> response = client.putManifest(repository, "no-layer", OCI_MANIFEST, TestContent.toJson(manifest));

        assertError(response, 400, "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void blobThatOnlyAnotherRepositoryHoldsIsManifestBlobUnknown() {
        String other = uniqueRepository("holder");
        byte[] elsewhere = TestContent.randomBytes(200);
        client.pushBlob(other, elsewhere);
        Map<String, Object> manifest = validManifest();
        manifest.put("layers", List.of(descriptor(OCI_LAYER, elsewhere)));

        HttpResponse<byte[]> response = client.putManifest(repository, "elsewhere", OCI_MANIFEST, TestContent.toJson(manifest));

        assertError(response, 400, "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void nonDistributableOciLayerNeedNotBePushed() {
        Map<String, Object> foreign = descriptor(OCI_NONDISTRIBUTABLE_LAYER, TestContent.randomBytes(4096));
        foreign.put("urls", List.of("https://example.com/layers/base.tar.gz"));
        Map<String, Object> manifest = validManifest();
        manifest.put("layers", List.of(foreign, descriptor(OCI_LAYER, layer)));
        byte[] bytes = TestContent.toJson(manifest);

        HttpResponse<byte[]> response = client.putManifest(repository, "foreign", OCI_MANIFEST, bytes);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/manifests/foreign").body()).isEqualTo(bytes);
    }

    @Test
    void dockerForeignLayerNeedNotBePushed() {
        byte[] dockerConfig = TestContent.imageConfig("windows-amd64");
        client.pushBlob(repository, dockerConfig);
        Map<String, Object> foreign = descriptor(DOCKER_FOREIGN_LAYER, TestContent.randomBytes(4096));
        foreign.put("urls", List.of("https://example.com/layers/windows-base.tar.gz"));
        byte[] manifest = TestContent.toJson(TestContent.dockerManifest(descriptor(DOCKER_CONFIG, dockerConfig),
                List.of(foreign, descriptor(DOCKER_LAYER, layer))));

        HttpResponse<byte[]> response = client.putManifest(repository, "windows", DOCKER_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
    }

    @Test
    void indexWithAChildThatIsNotPushedIsRefused() {
        byte[] present = TestContent.toJson(validManifest());
        client.pushManifest(repository, sha256(present), OCI_MANIFEST, present);
        byte[] absent = TestContent.toJson(TestContent.ociManifest(descriptor(OCI_CONFIG, config), List.of()));
        byte[] index = TestContent.toJson(TestContent.index(OCI_INDEX,
                List.of(descriptor(OCI_MANIFEST, present), descriptor(OCI_MANIFEST, absent))));

        HttpResponse<byte[]> response = client.putManifest(repository, "sparse", OCI_INDEX, index);

        assertThat(response.statusCode()).as(body(response)).isIn(400, 404);
        RegistryClient.assertErrorBody(response, "MANIFEST_UNKNOWN", "MANIFEST_BLOB_UNKNOWN");
        assertThat(client.get("/v2/" + repository + "/manifests/sparse").statusCode()).isEqualTo(404);
    }

    @Test
    void indexWithChildrenThatAreNotPushedIsAcceptedWhenSparseIndexesAreAllowed() {
        try (TestRegistry sparse = setup.start(config -> config.withAllowSparseIndex(true))) {
            RegistryClient sparseClient = new RegistryClient(sparse.url());
            String name = uniqueRepository("sparse");
            byte[] absentChild = TestContent.toJson(TestContent.ociManifest(descriptor(OCI_CONFIG, config), List.of()));
            byte[] index = TestContent.toJson(TestContent.index(OCI_INDEX, List.of(descriptor(OCI_MANIFEST, absentChild))));

            HttpResponse<byte[]> response = sparseClient.putManifest(name, "sparse", OCI_INDEX, index);

            assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
            assertThat(sparseClient.get("/v2/" + name + "/manifests/sparse").body()).isEqualTo(index);
            assertError(sparseClient.get("/v2/" + name + "/manifests/" + sha256(absentChild)), 404, "MANIFEST_UNKNOWN");
        }
    }

    @Test
    void manifestListWithAChildThatIsNotPushedIsRefused() {
        byte[] absent = TestContent.toJson(TestContent.dockerManifest(descriptor(DOCKER_CONFIG, config), List.of()));
        byte[] list = TestContent.toJson(TestContent.index(DOCKER_MANIFEST_LIST, List.of(descriptor(DOCKER_MANIFEST, absent))));

        HttpResponse<byte[]> response = client.putManifest(repository, "sparse-list", DOCKER_MANIFEST_LIST, list);

        assertThat(response.statusCode()).as(body(response)).isIn(400, 404);
        RegistryClient.assertErrorBody(response, "MANIFEST_UNKNOWN", "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void putByADigestThatDoesNotMatchTheBodyIsDigestInvalid() {
        byte[] manifest = TestContent.toJson(validManifest());
        String wrong = sha256(TestContent.randomBytes(16));

        HttpResponse<byte[]> response = client.putManifest(repository, wrong, OCI_MANIFEST, manifest);

        assertError(response, 400, "DIGEST_INVALID");
        assertThat(client.get("/v2/" + repository + "/manifests/" + wrong).statusCode()).isEqualTo(404);
        assertThat(client.get("/v2/" + repository + "/manifests/" + sha256(manifest)).statusCode()).isEqualTo(404);
    }

    @Test
    void manifestOfExactlyFourMebibytesIsAccepted() {
        byte[] manifest = paddedManifest(FOUR_MIB);

        HttpResponse<byte[]> response = client.putManifest(repository, "four-mib", OCI_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/manifests/four-mib").body()).isEqualTo(manifest);
    }

    /**
     * The spec: a registry enforcing a limit "SHOULD respond with 413 Payload Too Large"; it names no error code, and
     * this registry answers {@code SIZE_INVALID}.
     */
    @Test
    void manifestLargerThanFourMebibytesIsPayloadTooLarge() {
        byte[] manifest = paddedManifest(FOUR_MIB + 1);

        HttpResponse<byte[]> response = client.putManifest(repository, "too-big", OCI_MANIFEST, manifest);

        assertError(response, 413, "SIZE_INVALID");
        assertThat(client.get("/v2/" + repository + "/manifests/too-big").statusCode()).isEqualTo(404);
    }

    /** A valid manifest whose serialised form is exactly {@code size} bytes, padded through an annotation. */
    private byte[] paddedManifest(int size) {
        Map<String, Object> manifest = validManifest();
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("org.example.padding", "");
        manifest.put("annotations", annotations);
        int bare = TestContent.toJson(manifest).length;
        annotations.put("org.example.padding", "p".repeat(size - bare));
        byte[] bytes = TestContent.toJson(manifest);
        assertThat(bytes).hasSize(size);
        return bytes;
    }

    private static Arguments violation(String name, Consumer<Map<String, Object>> breakIt) {
        return Arguments.of(Named.of(name, breakIt));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> descriptorOf(Map<String, Object> manifest, String field) {
        return (Map<String, Object>) manifest.get(field);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstLayer(Map<String, Object> manifest) {
        return ((List<Map<String, Object>>) manifest.get("layers")).getFirst();
    }
}
