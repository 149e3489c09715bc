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

import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/** Distribution spec, "Pushing Manifests": PUT by tag and by digest, every manifest kind, tags and subjects. */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class ManifestPushTest {
    @Parameter
    Backend backend;

    private static TestRegistry registry;
    private static RegistryClient client;

    private String repository;

    @BeforeParameterizedClassInvocation
    static void startRegistry(Backend backend) {
        registry = TestRegistry.start(backend);
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
        byte[] amd64 = ociImageManifest("amd64");
        byte[] arm64 = ociImageManifest("arm64");
        client.pushManifest(repository, sha256(amd64), OCI_MANIFEST, amd64);
        client.pushManifest(repository, sha256(arm64), OCI_MANIFEST, arm64);
        Map<String, Object> amd64Descriptor = descriptor(OCI_MANIFEST, amd64);
        amd64Descriptor.put("platform", TestContent.platform("linux", "amd64"));
        Map<String, Object> arm64Descriptor = descriptor(OCI_MANIFEST, arm64);
        arm64Descriptor.put("platform", TestContent.platform("linux", "arm64"));
        byte[] index = TestContent.toJson(TestContent.index(OCI_INDEX, List.of(amd64Descriptor, arm64Descriptor)));

        HttpResponse<byte[]> response = client.putManifest(repository, "multi", OCI_INDEX, index);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(sha256(index));
        HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/manifests/multi");
        assertThat(pulled.body()).isEqualTo(index);
        assertThat(header(pulled, "Content-Type")).isEqualTo(OCI_INDEX);
    }

    @Test
    void dockerSchema2ManifestIsAcceptedAndServedAsPushed() {
        byte[] manifest = dockerImageManifest("amd64");

        HttpResponse<byte[]> response = client.putManifest(repository, "docker", DOCKER_MANIFEST, manifest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(sha256(manifest));
        HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/manifests/docker");
        assertThat(pulled.body()).isEqualTo(manifest);
        assertThat(header(pulled, "Content-Type")).isEqualTo(DOCKER_MANIFEST);
    }

    @Test
    void dockerManifestListIsAcceptedAndServedAsPushed() {
        byte[] amd64 = dockerImageManifest("amd64");
        byte[] arm = dockerImageManifest("arm");
        client.pushManifest(repository, sha256(amd64), DOCKER_MANIFEST, amd64);
        client.pushManifest(repository, sha256(arm), DOCKER_MANIFEST, arm);
        Map<String, Object> amd64Descriptor = descriptor(DOCKER_MANIFEST, amd64);
        amd64Descriptor.put("platform", TestContent.platform("linux", "amd64"));
        Map<String, Object> armDescriptor = descriptor(DOCKER_MANIFEST, arm);
        armDescriptor.put("platform", Map.of("architecture", "arm", "os", "linux", "variant", "v7"));
        byte[] list = TestContent.toJson(TestContent.index(DOCKER_MANIFEST_LIST, List.of(amd64Descriptor, armDescriptor)));

        HttpResponse<byte[]> response = client.putManifest(repository, "list", DOCKER_MANIFEST_LIST, list);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/manifests/list");
        assertThat(pulled.body()).isEqualTo(list);
        assertThat(header(pulled, "Content-Type")).isEqualTo(DOCKER_MANIFEST_LIST);
        assertThat(header(pulled, "Docker-Content-Digest")).isEqualTo(sha256(list));
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
