package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.TestContent.DOCKER_CONFIG;
import static io.berth.server.protocol.TestContent.DOCKER_LAYER;
import static io.berth.server.protocol.TestContent.DOCKER_MANIFEST;
import static io.berth.server.protocol.TestContent.OCI_CONFIG;
import static io.berth.server.protocol.TestContent.OCI_LAYER;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.descriptor;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Distribution spec, "Pulling manifests" and "Checking if content exists": GET and HEAD on manifests. */
class ManifestPullTest extends PerBackendRegistryTest {
    private String repository;
    private byte[] manifest;
    private String digest;

    /** Pushes an OCI manifest whose bytes are deliberately not in canonical JSON form (spacing, field order). */
    @BeforeEach
    void pushImage() {
        repository = uniqueRepository("pull");
        byte[] config = TestContent.imageConfig("arm64");
        byte[] layer = TestContent.randomBytes(2048);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        String pretty = TestContent.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(TestContent.ociManifest(
                descriptor(OCI_CONFIG, config), List.of(descriptor(OCI_LAYER, layer))));
        manifest = ("\n  " + pretty + "\t\n").getBytes(StandardCharsets.UTF_8);
        digest = client.pushManifest(repository, "latest", OCI_MANIFEST, manifest);
    }

    @Test
    void getByTagReturnsTheBytesAsPushedWithDigestTypeAndLength() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/manifests/latest",
                "Accept", OCI_MANIFEST);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(manifest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(sha256(manifest));
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_MANIFEST);
        assertThat(header(response, "Content-Length")).isEqualTo(Integer.toString(manifest.length));
    }

    @Test
    void getByDigestReturnsTheBytesAsPushedWithDigestTypeAndLength() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/manifests/" + digest);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(manifest);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_MANIFEST);
        assertThat(header(response, "Content-Length")).isEqualTo(Integer.toString(manifest.length));
    }

    @Test
    void headByTagAndByDigestAnswersTheSameHeadersWithoutABody() {
        for (String reference : List.of("latest", digest)) {
            HttpResponse<byte[]> response = client.head("/v2/" + repository + "/manifests/" + reference);

            assertThat(response.statusCode()).as(reference).isEqualTo(200);
            assertThat(response.body()).as(reference).isEmpty();
            assertThat(header(response, "Docker-Content-Digest")).as(reference).isEqualTo(digest);
            assertThat(header(response, "Content-Type")).as(reference).isEqualTo(OCI_MANIFEST);
            assertThat(header(response, "Content-Length")).as(reference).isEqualTo(Integer.toString(manifest.length));
        }
    }

    @Test
    void dockerManifestIsServedWithTheMediaTypeItWasPushedWith() {
        byte[] config = TestContent.imageConfig("s390x");
        byte[] layer = TestContent.randomBytes(700);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        byte[] docker = TestContent.toJson(TestContent.dockerManifest(
                descriptor(DOCKER_CONFIG, config), List.of(descriptor(DOCKER_LAYER, layer))));
        String dockerDigest = client.pushManifest(repository, "docker", DOCKER_MANIFEST, docker);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/manifests/docker");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(docker);
        assertThat(header(response, "Content-Type")).isEqualTo(DOCKER_MANIFEST);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(dockerDigest);
    }

    @Test
    void manifestWithoutMediaTypeFieldIsServedWithTheContentTypeItWasPushedWith() {
        byte[] config = TestContent.imageConfig("riscv64");
        client.pushBlob(repository, config);
        var document = TestContent.ociManifest(descriptor(OCI_CONFIG, config), List.of());
        document.remove("mediaType");
        byte[] bytes = TestContent.toJson(document);
        client.pushManifest(repository, "untyped", OCI_MANIFEST, bytes);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/manifests/untyped");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(bytes);
        assertThat(header(response, "Content-Type")).isEqualTo(OCI_MANIFEST);
    }

    @Test
    void unknownTagAnswers404ManifestUnknown() {
        client.assertAbsent("/v2/" + repository + "/manifests/no-such-tag", "MANIFEST_UNKNOWN");
    }

    @Test
    void unknownDigestAnswers404ManifestUnknown() {
        String absent = sha256(TestContent.randomBytes(32));

        client.assertAbsent("/v2/" + repository + "/manifests/" + absent, "MANIFEST_UNKNOWN");
    }

    @Test
    void manifestIsNotServedFromAnotherRepository() {
        String other = uniqueRepository("other");
        client.pushImage(other, "latest");

        HttpResponse<byte[]> response = client.get("/v2/" + other + "/manifests/" + digest);

        assertError(response, 404, "MANIFEST_UNKNOWN");
    }
}
