package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.RegistryClient.location;
import static io.berth.server.protocol.TestContent.DOCKER_CONFIG;
import static io.berth.server.protocol.TestContent.DOCKER_LAYER;
import static io.berth.server.protocol.TestContent.DOCKER_MANIFEST;
import static io.berth.server.protocol.TestContent.DOCKER_MANIFEST_LIST;
import static io.berth.server.protocol.TestContent.EMPTY_JSON;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_EMPTY;
import static io.berth.server.protocol.TestContent.OCI_INDEX;
import static io.berth.server.protocol.TestContent.OCI_LAYER;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Distribution spec, "Pushing Manifests": PUT by tag and by digest, every manifest kind, tags and subjects. */
class ManifestPushTest extends PerBackendRegistryTest {
    private String repository;

    @BeforeEach
    void newRepository() {
        repository = uniqueRepository("push");
    }

    @Test
    void putByTagAnswers201WithAPullableLocationAndTheDigest() {
        byte[] manifest = ociImageManifest("amd64");

        HttpResponse<byte[]> response = client.putManifest(repository, "v1", OCI_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(sha256(manifest));
        HttpResponse<byte[]> pulled = client.get(location(response));
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(manifest);
        assertThat(client.get("/v2/" + repository + "/manifests/v1").body()).isEqualTo(manifest);
    }

    @Test
    void putByDigestStoresTheManifestWithoutTaggingIt() {
        byte[] manifest = ociImageManifest("amd64");
        String digest = sha256(manifest);

        HttpResponse<byte[]> response = client.putManifest(repository, digest, OCI_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(client.get(location(response)).body()).isEqualTo(manifest);
        assertThat(client.get("/v2/" + repository + "/manifests/" + digest).body()).isEqualTo(manifest);
        HttpResponse<byte[]> tags = client.get("/v2/" + repository + "/tags/list");
        assertThat(tags.statusCode()).isEqualTo(200);
        assertThat(json(tags).path("tags")).as(body(tags)).isEmpty();
    }

    @Test
    void putByDigestWithTagParametersAppliesEveryTagAndListsThemInOciTag() {
        byte[] manifest = ociImageManifest("amd64");
        String digest = sha256(manifest);

        HttpResponse<byte[]> response = client.put(
                "/v2/" + repository + "/manifests/" + digest + "?tag=first&tag=second&tag=v1.0", manifest,
                "Content-Type", OCI_MANIFEST);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        List<String> announced = new ArrayList<>();
        for (String value : response.headers().allValues("OCI-Tag")) {
            Arrays.stream(value.split(",")).map(String::trim).forEach(announced::add);
        }
        assertThat(announced).containsExactlyInAnyOrder("first", "second", "v1.0");
        for (String tag : List.of("first", "second", "v1.0")) {
            HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/manifests/" + tag);
            assertThat(pulled.statusCode()).as(tag).isEqualTo(200);
            assertThat(pulled.body()).as(tag).isEqualTo(manifest);
        }
    }

    @Test
    void ociImageIndexIsAcceptedAndServedAsAnIndex() {
        byte[] index = TestContent.toJson(TestContent.index(OCI_INDEX, List.of(
                pushedChild(OCI_MANIFEST, ociImageManifest("amd64"), TestContent.platform("linux", "amd64")),
                pushedChild(OCI_MANIFEST, ociImageManifest("arm64"), TestContent.platform("linux", "arm64")))));

        HttpResponse<byte[]> response = client.putManifest(repository, "multi", OCI_INDEX, index);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(sha256(index));
        assertServedAsPushed("multi", OCI_INDEX, index);
    }

    @Test
    void dockerSchema2ManifestIsAcceptedAndServedAsPushed() {
        byte[] manifest = dockerImageManifest("amd64");

        HttpResponse<byte[]> response = client.putManifest(repository, "docker", DOCKER_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(sha256(manifest));
        assertServedAsPushed("docker", DOCKER_MANIFEST, manifest);
    }

    @Test
    void dockerManifestListIsAcceptedAndServedAsPushed() {
        byte[] list = TestContent.toJson(TestContent.index(DOCKER_MANIFEST_LIST, List.of(
                pushedChild(DOCKER_MANIFEST, dockerImageManifest("amd64"), TestContent.platform("linux", "amd64")),
                pushedChild(DOCKER_MANIFEST, dockerImageManifest("arm"),
                        Map.of("architecture", "arm", "os", "linux", "variant", "v7")))));

        HttpResponse<byte[]> response = client.putManifest(repository, "list", DOCKER_MANIFEST_LIST, list);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertServedAsPushed("list", DOCKER_MANIFEST_LIST, list);
    }

    @Test
    void artifactWithArtifactTypeAndTheEmptyConfigIsAccepted() {
        client.pushBlob(repository, EMPTY_JSON);
        byte[] payload = TestContent.randomBytes(512);
        client.pushBlob(repository, payload);
        Map<String, Object> document = TestContent.ociManifest(descriptor(OCI_EMPTY, EMPTY_JSON),
                List.of(descriptor("application/vnd.example.payload.v1", payload)));
        document.put("artifactType", "application/vnd.example.thing.v1+json");
        document.put("annotations", Map.of("org.opencontainers.image.title", "payload.bin"));
        byte[] manifest = TestContent.toJson(document);

        HttpResponse<byte[]> response = client.putManifest(repository, "artifact", OCI_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/manifests/artifact").body()).isEqualTo(manifest);
    }

    @Test
    void artifactWithItsOwnConfigMediaTypeIsAccepted() {
        byte[] chartConfig = "{\"name\":\"demo\",\"version\":\"0.1.0\",\"apiVersion\":\"v2\"}".getBytes();
        byte[] chart = TestContent.randomBytes(900);
        client.pushBlob(repository, chartConfig);
        client.pushBlob(repository, chart);
        byte[] manifest = TestContent.toJson(TestContent.ociManifest(
                descriptor("application/vnd.cncf.helm.config.v1+json", chartConfig),
                List.of(descriptor("application/vnd.cncf.helm.chart.content.v1.tar+gzip", chart))));

        HttpResponse<byte[]> response = client.putManifest(repository, "0.1.0", OCI_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/manifests/0.1.0").body()).isEqualTo(manifest);
    }

    @Test
    void subjectThatIsNotPushedYetIsAcceptedAndAnsweredInOciSubject() {
        String absentSubject = sha256(TestContent.randomBytes(64));
        client.pushBlob(repository, EMPTY_JSON);
        Map<String, Object> document = TestContent.ociManifest(descriptor(OCI_EMPTY, EMPTY_JSON),
                List.of(descriptor(OCI_EMPTY, EMPTY_JSON)));
        document.put("artifactType", "application/vnd.example.signature.v1");
        document.put("subject", descriptor(OCI_MANIFEST, absentSubject, 1234));
        byte[] manifest = TestContent.toJson(document);

        HttpResponse<byte[]> response = client.putManifest(repository, sha256(manifest), OCI_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "OCI-Subject")).isEqualTo(absentSubject);
    }

    @Test
    void indexWithASubjectIsAnsweredInOciSubject() {
        byte[] subject = ociImageManifest("amd64");
        String subjectDigest = client.pushManifest(repository, "subject", OCI_MANIFEST, subject);
        byte[] child = ociImageManifest("arm64");
        client.pushManifest(repository, sha256(child), OCI_MANIFEST, child);
        Map<String, Object> document = TestContent.index(OCI_INDEX, List.of(descriptor(OCI_MANIFEST, child)));
        document.put("artifactType", "application/vnd.example.bundle.v1");
        document.put("subject", descriptor(OCI_MANIFEST, subject));
        byte[] index = TestContent.toJson(document);

        HttpResponse<byte[]> response = client.putManifest(repository, sha256(index), OCI_INDEX, index);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "OCI-Subject")).isEqualTo(subjectDigest);
    }

    @Test
    void pushingToAnExistingTagMovesTheTagAndKeepsTheOldManifestByDigest() {
        byte[] first = ociImageManifest("amd64");
        byte[] second = ociImageManifest("arm64");
        String firstDigest = client.pushManifest(repository, "moving", OCI_MANIFEST, first);
        String secondDigest = client.pushManifest(repository, "moving", OCI_MANIFEST, second);

        HttpResponse<byte[]> byTag = client.get("/v2/" + repository + "/manifests/moving");

        assertThat(byTag.body()).isEqualTo(second);
        assertThat(header(byTag, "Docker-Content-Digest")).isEqualTo(secondDigest);
        assertThat(client.get("/v2/" + repository + "/manifests/" + firstDigest).body()).isEqualTo(first);
    }

    @Test
    void pushingTheSameManifestTwiceSucceedsBothTimes() {
        byte[] manifest = ociImageManifest("amd64");

        HttpResponse<byte[]> first = client.putManifest(repository, "same", OCI_MANIFEST, manifest);
        HttpResponse<byte[]> second = client.putManifest(repository, "same", OCI_MANIFEST, manifest);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(second.statusCode()).isEqualTo(201);
        assertThat(header(second, "Docker-Content-Digest")).isEqualTo(sha256(manifest));
        JsonNode tags = json(client.get("/v2/" + repository + "/tags/list")).path("tags");
        assertThat(tags).hasSize(1);
    }

    /** A GET of the tag serves the very bytes pushed, with the media type they were pushed as and their digest. */
    private void assertServedAsPushed(String tag, String mediaType, byte[] manifest) {
        HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/manifests/" + tag);
        assertThat(pulled.statusCode()).as(body(pulled)).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(manifest);
        assertThat(header(pulled, "Content-Type")).isEqualTo(mediaType);
        assertThat(header(pulled, "Docker-Content-Digest")).isEqualTo(sha256(manifest));
    }

    /** Pushes a manifest by digest and returns its descriptor for an index, with the given platform. */
    private Map<String, Object> pushedChild(String mediaType, byte[] manifest, Map<String, Object> platform) {
        client.pushManifest(repository, sha256(manifest), mediaType, manifest);
        Map<String, Object> descriptor = descriptor(mediaType, manifest);
        descriptor.put("platform", platform);
        return descriptor;
    }

    /** Pushes a config and one layer, and returns an OCI image manifest over them (not pushed). */
    private byte[] ociImageManifest(String architecture) {
        byte[] config = TestContent.imageConfig(architecture);
        byte[] layer = TestContent.randomBytes(300);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        return TestContent.toJson(TestContent.ociManifest(descriptor(OCI_CONFIG, config),
                List.of(descriptor(OCI_LAYER, layer))));
    }

    private byte[] dockerImageManifest(String architecture) {
        byte[] config = TestContent.imageConfig(architecture);
        byte[] layer = TestContent.randomBytes(300);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        return TestContent.toJson(TestContent.dockerManifest(descriptor(DOCKER_CONFIG, config),
                List.of(descriptor(DOCKER_LAYER, layer))));
    }
}
