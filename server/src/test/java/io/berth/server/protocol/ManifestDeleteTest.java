package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient.PushedImage;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Distribution spec, "Deleting Manifests" and "Deleting tags". */
class ManifestDeleteTest extends PerBackendRegistryTest {
    private String repository;

    @BeforeEach
    void newRepository() {
        repository = uniqueRepository("delete");
    }

    @Test
    void deleteByDigestAnswers202AndTheManifestIsGoneByDigestAndByTag() {
        PushedImage image = client.pushImage(repository, "doomed");

        HttpResponse<byte[]> response = client.delete("/v2/" + repository + "/manifests/" + image.digest());

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        client.assertAbsent("/v2/" + repository + "/manifests/" + image.digest(), "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + repository + "/manifests/doomed"), 404, "MANIFEST_UNKNOWN");
        assertThat(tags()).doesNotContain("doomed");
    }

    @Test
    void deleteByTagAnswers202AndRemovesOnlyTheTag() {
        PushedImage image = client.pushImage(repository, "old-name");
        client.pushManifest(repository, "kept-name", OCI_MANIFEST, image.manifest());

        HttpResponse<byte[]> response = client.delete("/v2/" + repository + "/manifests/old-name");

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        assertError(client.get("/v2/" + repository + "/manifests/old-name"), 404, "MANIFEST_UNKNOWN");
        HttpResponse<byte[]> byDigest = client.get("/v2/" + repository + "/manifests/" + image.digest());
        assertThat(byDigest.statusCode()).isEqualTo(200);
        assertThat(byDigest.body()).isEqualTo(image.manifest());
        assertThat(client.get("/v2/" + repository + "/manifests/kept-name").body()).isEqualTo(image.manifest());
        assertThat(tags()).containsExactly("kept-name");
    }

    @Test
    void deletingAManifestKeepsItsBlobsAndOtherManifests() {
        PushedImage doomed = client.pushImage(repository, "doomed");
        PushedImage kept = client.pushImage(repository, "kept");

        assertThat(client.delete("/v2/" + repository + "/manifests/" + doomed.digest()).statusCode()).isEqualTo(202);

        assertThat(client.get("/v2/" + repository + "/manifests/kept").body()).isEqualTo(kept.manifest());
        assertThat(client.get("/v2/" + repository + "/blobs/" + sha256(kept.config())).statusCode()).isEqualTo(200);
    }

    @Test
    void aDeletedManifestCanBePushedAgain() {
        PushedImage image = client.pushImage(repository, "again");
        assertThat(client.delete("/v2/" + repository + "/manifests/" + image.digest()).statusCode()).isEqualTo(202);

        client.pushManifest(repository, "again", OCI_MANIFEST, image.manifest());

        assertThat(client.get("/v2/" + repository + "/manifests/again").body()).isEqualTo(image.manifest());
    }

    @Test
    void deletingAnUnknownDigestAnswers404ManifestUnknown() {
        client.pushImage(repository, "present");

        assertError(client.delete("/v2/" + repository + "/manifests/" + sha256(TestContent.randomBytes(8))),
                404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deletingAnUnknownTagAnswers404ManifestUnknown() {
        client.pushImage(repository, "present");

        assertError(client.delete("/v2/" + repository + "/manifests/absent"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deletingInAnUnknownRepositoryAnswers404() {
        HttpResponse<byte[]> response = client.delete("/v2/" + uniqueRepository("never") + "/manifests/"
                + sha256(TestContent.randomBytes(8)));

        assertError(response, 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
    }

    private List<String> tags() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list");
        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        List<String> tags = new ArrayList<>();
        for (JsonNode tag : json(response).path("tags")) {
            tags.add(tag.asString());
        }
        return tags;
    }
}
