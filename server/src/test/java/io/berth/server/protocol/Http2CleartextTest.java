package io.berth.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Clients that speak HTTP/2 without TLS (h2c, by upgrade from HTTP/1.1) push and pull as over HTTP/1.1. */
class Http2CleartextTest extends PerBackendRegistryTest {

    @Test
    void aBlobPushedAndPulledOverH2cComesBackWhole() throws Exception {
        try (HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<String> base = h2.send(HttpRequest.newBuilder(URI.create(registry.url() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(base.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");

            byte[] content = "carried over h2c".getBytes(StandardCharsets.UTF_8);
            Digest digest = Digest.sha256(content);
            String repository = TestContent.uniqueRepository("h2c");
            HttpResponse<Void> pushed = h2.send(HttpRequest.newBuilder(
                            URI.create(registry.url() + "/v2/" + repository + "/blobs/uploads/?digest=" + digest))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(pushed.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(pushed.statusCode()).isEqualTo(201);

            HttpResponse<byte[]> pulled = h2.send(HttpRequest.newBuilder(
                    URI.create(registry.url() + "/v2/" + repository + "/blobs/" + digest)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(pulled.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(pulled.body()).isEqualTo(content);
        }
    }

    /** HTTP/2 announces a body by its DATA frames, not by a header: the last chunk sent with the PUT is stored. */
    @Test
    void anUploadFinishedWithItsLastChunkOverH2cStoresThatChunk() throws Exception {
        try (HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
            String repository = TestContent.uniqueRepository("h2c");
            byte[] content = "the last chunk, sent with the PUT".getBytes(StandardCharsets.UTF_8);
            Digest digest = Digest.sha256(content);
            HttpResponse<Void> started = h2.send(HttpRequest.newBuilder(
                            URI.create(registry.url() + "/v2/" + repository + "/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(started.statusCode()).isEqualTo(202);
            String session = started.headers().firstValue("Location").orElseThrow();

            HttpResponse<String> finished = h2.send(HttpRequest.newBuilder(
                            URI.create(registry.url() + session + "?digest=" + digest))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(content))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(finished.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(finished.statusCode()).as(finished.body()).isEqualTo(201);

            HttpResponse<byte[]> pulled = h2.send(HttpRequest.newBuilder(
                    URI.create(registry.url() + "/v2/" + repository + "/blobs/" + digest)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(pulled.body()).isEqualTo(content);
        }
    }
}
