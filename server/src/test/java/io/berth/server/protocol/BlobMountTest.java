package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.location;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Distribution spec, "Mounting a blob from another repository". */
class BlobMountTest extends PerBackendRegistryTest {
    private String source;
    private String target;
    private byte[] blob;
    private String digest;

    @BeforeEach
    void pushToSource() {
        source = uniqueRepository("mount-source");
        target = uniqueRepository("mount-target");
        blob = TestContent.randomBytes(3000);
        digest = client.pushBlob(source, blob);
    }

    @Test
    void mountFromARepositoryThatHasTheBlobAnswers201AndTheBlobIsServedInTheTarget() {
        HttpResponse<byte[]> response = client.post(
                "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source, new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        HttpResponse<byte[]> atLocation = client.get(location(response));
        assertThat(atLocation.statusCode()).isEqualTo(200);
        assertThat(atLocation.body()).isEqualTo(blob);
        assertThat(client.get("/v2/" + target + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void mountFromARepositoryWithoutTheBlobStartsAnUploadSessionInstead() {
        String empty = uniqueRepository("mount-empty");
        client.pushBlob(empty, TestContent.randomBytes(5));

        HttpResponse<byte[]> response = client.post(
                "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + empty, new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        assertThat(header(response, "Docker-Upload-UUID")).isNotBlank();
        HttpResponse<byte[]> completed = client.put(withQuery(location(response), "digest=" + digest), blob,
                "Content-Type", "application/octet-stream");
        assertThat(completed.statusCode()).as(body(completed)).isEqualTo(201);
        assertThat(client.get("/v2/" + target + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void mountFromAnUnknownRepositoryStartsAnUploadSessionInstead() {
        HttpResponse<byte[]> response = client.post(
                "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + uniqueRepository("nowhere"), new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        assertThat(location(response)).isNotBlank();
        assertThat(client.get("/v2/" + target + "/blobs/" + digest).statusCode()).isEqualTo(404);
    }

    @Test
    void mountWithoutFromMountsABlobThatExistsAnywhereInTheRegistry() {
        HttpResponse<byte[]> response = client.post("/v2/" + target + "/blobs/uploads/?mount=" + digest, new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(client.get("/v2/" + target + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void mountWithoutFromOfABlobNobodyHasStartsAnUploadSession() {
        String absent = sha256(TestContent.randomBytes(40));

        HttpResponse<byte[]> response = client.post("/v2/" + target + "/blobs/uploads/?mount=" + absent, new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        assertThat(location(response)).isNotBlank();
    }

    @Test
    void mountedBlobSurvivesDeletionFromTheSource() {
        HttpResponse<byte[]> mounted = client.post(
                "/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source, new byte[0]);
        assertThat(mounted.statusCode()).isEqualTo(201);

        assertThat(client.delete("/v2/" + source + "/blobs/" + digest).statusCode()).isEqualTo(202);

        assertThat(client.get("/v2/" + target + "/blobs/" + digest).body()).isEqualTo(blob);
    }
}
