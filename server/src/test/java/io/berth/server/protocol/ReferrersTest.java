package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.EMPTY_JSON;
import static io.berth.server.protocol.TestContent.OCI_EMPTY;
import static io.berth.server.protocol.TestContent.OCI_INDEX;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.PerBackendRegistryTest.ReferrersPageSize;
import io.berth.server.protocol.RegistryClient.PushedImage;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** Distribution spec, "Listing Referrers": {@code GET /v2/<name>/referrers/<digest>}. */
@ReferrersPageSize(ReferrersTest.PAGE_SIZE)
class ReferrersTest extends PerBackendRegistryTest {
    private static final String SBOM = "application/vnd.example.sbom.v1+json";
    private static final String SIGNATURE_CONFIG = "application/vnd.example.signature.config.v1+json";
    private static final String BUNDLE = "application/vnd.example.bundle.v1";
    /** The page size this test's registry is configured with, and a count of referrers that needs three pages. */
    static final int PAGE_SIZE = 25;
    private static final int MANY = 2 * PAGE_SIZE + 10;

    private String repository;
    private PushedImage subject;
    private byte[] signatureConfig;

    @BeforeEach
    void pushSubject() {
        repository = uniqueRepository("referrers");
        subject = client.pushImage(repository, "subject");
        client.pushBlob(repository, EMPTY_JSON);
        signatureConfig = "{\"signer\":\"ci\"}".getBytes(StandardCharsets.UTF_8);
        client.pushBlob(repository, signatureConfig);
    }

    @Test
    void listsEveryManifestAndIndexWhoseSubjectIsTheDigest() {
        byte[] sbom = pushArtifact(SBOM, null, subject.digest(),
                Map.of("org.example.format", "spdx", "org.opencontainers.image.created", "2026-01-01T00:00:00Z"));
        byte[] signature = pushArtifact(null, SIGNATURE_CONFIG, subject.digest(), Map.of("org.example.signer", "ci"));
        byte[] typedIndex = pushIndexReferrer(BUNDLE, subject.digest(), Map.of("org.example.bundle", "yes"));
        byte[] untypedIndex = pushIndexReferrer(null, subject.digest(), null);
        pushArtifact(SBOM, null, null, null);
        pushArtifact(SBOM, null, client.pushImage(repository, "other-subject").digest(), null);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest());

        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_INDEX);
        JsonNode index = json(response);
        assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.path("mediaType").asString()).isEqualTo(OCI_INDEX);
        Map<String, JsonNode> byDigest = descriptorsByDigest(index);
        assertThat(byDigest).containsOnlyKeys(sha256(sbom), sha256(signature), sha256(typedIndex), sha256(untypedIndex));

        assertDescriptor(byDigest.get(sha256(sbom)), OCI_MANIFEST, sbom, SBOM,
                Map.of("org.example.format", "spdx", "org.opencontainers.image.created", "2026-01-01T00:00:00Z"));
        assertDescriptor(byDigest.get(sha256(signature)), OCI_MANIFEST, signature, SIGNATURE_CONFIG,
                Map.of("org.example.signer", "ci"));
        assertDescriptor(byDigest.get(sha256(typedIndex)), OCI_INDEX, typedIndex, BUNDLE, Map.of("org.example.bundle", "yes"));
        assertDescriptor(byDigest.get(sha256(untypedIndex)), OCI_INDEX, untypedIndex, null, Map.of());
    }

    @Test
    void noReferrersAnswersAnEmptyIndex() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest());

        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_INDEX);
        JsonNode index = json(response);
        assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.path("manifests").isArray()).isTrue();
        assertThat(index.path("manifests")).isEmpty();
    }

    @Test
    void digestThatWasNeverPushedAnswersAnEmptyIndex() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + sha256(TestContent.randomBytes(9)));

        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        assertThat(json(response).path("manifests").isArray()).isTrue();
        assertThat(json(response).path("manifests")).isEmpty();
    }

    @Test
    void referrerPushedBeforeItsSubjectIsListed() {
        byte[] laterSubject = TestContent.toJson(TestContent.ociManifest(descriptor(OCI_EMPTY, EMPTY_JSON), List.of()));
        String laterDigest = sha256(laterSubject);
        byte[] referrer = pushArtifact(SBOM, null, laterDigest, null);
        client.pushManifest(repository, "later", OCI_MANIFEST, laterSubject);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + laterDigest);

        assertThat(descriptorsByDigest(json(response))).containsOnlyKeys(sha256(referrer));
    }

    @Test
    void artifactTypeFilterKeepsOnlyThatTypeAndSaysSo() {
        byte[] sbom = pushArtifact(SBOM, null, subject.digest(), null);
        pushArtifact(null, SIGNATURE_CONFIG, subject.digest(), null);
        pushIndexReferrer(BUNDLE, subject.digest(), null);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest()
                + "?artifactType=" + URLEncoder.encode(SBOM, StandardCharsets.UTF_8));

        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        assertThat(header(response, "OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(descriptorsByDigest(json(response))).containsOnlyKeys(sha256(sbom));
    }

    @Test
    void artifactTypeFilterAppliesToTheConfigMediaTypeFallback() {
        pushArtifact(SBOM, null, subject.digest(), null);
        byte[] signature = pushArtifact(null, SIGNATURE_CONFIG, subject.digest(), null);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest()
                + "?artifactType=" + URLEncoder.encode(SIGNATURE_CONFIG, StandardCharsets.UTF_8));

        assertThat(header(response, "OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(descriptorsByDigest(json(response))).containsOnlyKeys(sha256(signature));
    }

    @Test
    void artifactTypeFilterWithNoMatchAnswersAnEmptyIndex() {
        pushArtifact(SBOM, null, subject.digest(), null);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest()
                + "?artifactType=application%2Fvnd.example.none");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(json(response).path("manifests")).isEmpty();
    }

    @Test
    void unfilteredAnswerDoesNotClaimAFilter() {
        pushArtifact(SBOM, null, subject.digest(), null);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest());

        assertThat(response.headers().firstValue("OCI-Filters-Applied")).isEmpty();
    }

    @Test
    void aLongListComesInPagesLinkedByLinkAndHoldsEveryReferrerExactlyOnce() {
        Set<String> pushed = new HashSet<>();
        for (int i = 0; i < MANY; i++) {
            pushed.add(sha256(pushArtifact(SBOM, null, subject.digest(), Map.of("org.example.sequence", Integer.toString(i)))));
        }

        List<HttpResponse<byte[]>> pages = Pagination.pages(client, "/v2/" + repository + "/referrers/" + subject.digest());

        assertThat(pages).as("pages of at most %d for %d referrers", PAGE_SIZE, MANY).hasSize(3);
        for (HttpResponse<byte[]> page : pages) {
            assertThat(header(page, "Content-Type")).isEqualTo(OCI_INDEX);
            assertThat(json(page).path("schemaVersion").asInt()).isEqualTo(2);
            assertThat(json(page).path("manifests").size()).isBetween(1, PAGE_SIZE);
        }
        List<String> listed = Pagination.collect(pages, page -> page.path("manifests"), d -> d.path("digest").asString());
        assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(pushed);
    }

    @Test
    void filteredLongListIsPagedToo() {
        Set<String> sboms = new HashSet<>();
        for (int i = 0; i < MANY; i++) {
            if (i % 5 == 0) {
                pushArtifact(null, SIGNATURE_CONFIG, subject.digest(), Map.of("org.example.sequence", Integer.toString(i)));
            } else {
                sboms.add(sha256(pushArtifact(SBOM, null, subject.digest(), Map.of("org.example.sequence", Integer.toString(i)))));
            }
        }

        List<HttpResponse<byte[]>> pages = Pagination.pages(client, "/v2/" + repository + "/referrers/" + subject.digest()
                + "?artifactType=" + URLEncoder.encode(SBOM, StandardCharsets.UTF_8));

        for (HttpResponse<byte[]> page : pages) {
            assertThat(header(page, "OCI-Filters-Applied")).isEqualTo("artifactType");
        }
        List<String> listed = Pagination.collect(pages, page -> page.path("manifests"), d -> d.path("digest").asString());
        assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sboms);
    }

    @Test
    void deletedReferrerIsNoLongerListed() {
        byte[] kept = pushArtifact(SBOM, null, subject.digest(), null);
        byte[] deleted = pushArtifact(SBOM, null, subject.digest(), Map.of("org.example.doomed", "true"));

        assertThat(client.delete("/v2/" + repository + "/manifests/" + sha256(deleted)).statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/referrers/" + subject.digest());
        assertThat(descriptorsByDigest(json(response))).containsOnlyKeys(sha256(kept));
    }

    @Test
    void referrersAreScopedToTheRepository() {
        String other = uniqueRepository("referrers-elsewhere");
        client.pushBlob(other, EMPTY_JSON);
        Map<String, Object> document = TestContent.ociManifest(descriptor(OCI_EMPTY, EMPTY_JSON),
                List.of(descriptor(OCI_EMPTY, EMPTY_JSON)));
        document.put("artifactType", SBOM);
        document.put("subject", subject.descriptor());
        byte[] foreign = TestContent.toJson(document);
        client.pushManifest(other, sha256(foreign), OCI_MANIFEST, foreign);

        HttpResponse<byte[]> here = client.get("/v2/" + repository + "/referrers/" + subject.digest());
        HttpResponse<byte[]> there = client.get("/v2/" + other + "/referrers/" + subject.digest());

        assertThat(json(here).path("manifests")).isEmpty();
        assertThat(descriptorsByDigest(json(there))).containsOnlyKeys(sha256(foreign));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"not-a-digest", "sha256:xyz", "sha256:0123", "sha256:", ":abc"})
    void invalidDigestAnswers400DigestInvalid(String digest) {
        assertError(client.get("/v2/" + repository + "/referrers/" + digest), 400, "DIGEST_INVALID");
    }

    /**
     * Pushes (by digest) an OCI image manifest artifact: with {@code artifactType}, or else with a config of
     * {@code configMediaType}, the given subject and annotations (each may be null). Its one layer is the empty
     * descriptor, so a push is a single request.
     */
    private byte[] pushArtifact(String artifactType, String configMediaType, String subjectDigest, Map<String, String> annotations) {
        Map<String, Object> config = configMediaType == null
                ? descriptor(OCI_EMPTY, EMPTY_JSON)
                : descriptor(configMediaType, signatureConfig);
        Map<String, Object> document = TestContent.ociManifest(config, List.of(descriptor(OCI_EMPTY, EMPTY_JSON)));
        return pushByDigest(OCI_MANIFEST, document, artifactType, subjectDigest, annotations);
    }

    private byte[] pushIndexReferrer(String artifactType, String subjectDigest, Map<String, String> annotations) {
        PushedImage child = client.pushImage(repository, sha256(TestContent.randomBytes(4)).substring(7, 27));
        Map<String, Object> document = TestContent.index(OCI_INDEX, List.of(child.descriptor()));
        return pushByDigest(OCI_INDEX, document, artifactType, subjectDigest, annotations);
    }

    /**
     * Adds to the document those of {@code artifactType}, a subject descriptor for {@code subjectDigest} (sized as the
     * pushed subject) and annotations that are not null, then pushes it by digest; returns its bytes.
     */
    private byte[] pushByDigest(String mediaType, Map<String, Object> document, String artifactType, String subjectDigest,
            Map<String, String> annotations) {
        if (artifactType != null) {
            document.put("artifactType", artifactType);
        }
        if (subjectDigest != null) {
            document.put("subject", descriptor(OCI_MANIFEST, subjectDigest, subject.manifest().length));
        }
        if (annotations != null) {
            document.put("annotations", new LinkedHashMap<>(annotations));
        }
        byte[] bytes = TestContent.toJson(document);
        client.pushManifest(repository, sha256(bytes), mediaType, bytes);
        return bytes;
    }

    private static Map<String, JsonNode> descriptorsByDigest(JsonNode index) {
        Map<String, JsonNode> byDigest = new HashMap<>();
        for (JsonNode descriptor : index.path("manifests")) {
            assertThat(byDigest.put(descriptor.path("digest").asString(), descriptor)).as("listed twice: %s", descriptor).isNull();
        }
        return byDigest;
    }

    private static void assertDescriptor(JsonNode descriptor, String mediaType, byte[] content, String artifactType,
            Map<String, String> annotations) {
        assertThat(descriptor.path("mediaType").asString()).isEqualTo(mediaType);
        assertThat(descriptor.path("size").asLong()).isEqualTo(content.length);
        if (artifactType == null) {
            assertThat(descriptor.has("artifactType")).as("artifactType in %s", descriptor).isFalse();
        } else {
            assertThat(descriptor.path("artifactType").asString()).isEqualTo(artifactType);
        }
        Map<String, String> listed = new HashMap<>();
        descriptor.path("annotations").properties().forEach(e -> listed.put(e.getKey(), e.getValue().asString()));
        assertThat(listed).isEqualTo(annotations);
    }
}
