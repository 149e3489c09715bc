package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** An upload session outlives the server process: its URL, its bytes and its offset survive a restart. */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class UploadSessionRestartTest {
    private static final String OCTETS = "application/octet-stream";

    @Parameter
    Setup setup;

    private TestRegistry registry;
    private RegistryClient client;
    private String repository;

    @BeforeEach
    void startRegistry() {
        registry = setup.start();
        client = new RegistryClient(registry.url());
        repository = uniqueRepository("restart");
    }

    @AfterEach
    void stopRegistry() {
        if (registry != null) { // null when the backend is missing and the test was skipped
            registry.close();
        }
    }

    @Test
    void chunkedUploadResumesAfterARestartAtTheSameUrlAndOffset() throws Exception {
        byte[] blob = TestContent.randomBytes(300_000);
        String upload = client.startUpload(repository);
        HttpResponse<byte[]> first = client.patch(upload, Arrays.copyOfRange(blob, 0, 100_000),
                "Content-Type", OCTETS, "Content-Range", "0-99999");
        assertThat(first.statusCode()).as(body(first)).isEqualTo(202);

        registry.restart();

        HttpResponse<byte[]> status = client.get(upload);
        assertThat(status.statusCode()).as(body(status)).isEqualTo(204);
        assertThat(header(status, "Range")).isEqualTo("0-99999");
        HttpResponse<byte[]> second = client.patch(upload, Arrays.copyOfRange(blob, 100_000, 200_000),
                "Content-Type", OCTETS, "Content-Range", "100000-199999");
        assertThat(second.statusCode()).as(body(second)).isEqualTo(202);
        assertThat(header(second, "Range")).isEqualTo("0-199999");
        HttpResponse<byte[]> done = client.put(withQuery(upload, "digest=" + sha256(blob)),
                Arrays.copyOfRange(blob, 200_000, blob.length), "Content-Type", OCTETS, "Content-Range", "200000-299999");
        assertThat(done.statusCode()).as(body(done)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + sha256(blob)).body()).isEqualTo(blob);
    }

    @Test
    void emptySessionStartedBeforeARestartCanBeCompletedAfterIt() throws Exception {
        byte[] blob = TestContent.randomBytes(5000);
        String upload = client.startUpload(repository);

        registry.restart();

        HttpResponse<byte[]> done = client.put(withQuery(upload, "digest=" + sha256(blob)), blob, "Content-Type", OCTETS);
        assertThat(done.statusCode()).as(body(done)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + sha256(blob)).body()).isEqualTo(blob);
    }

    @Test
    void cancelledSessionStaysCancelledAfterARestart() throws Exception {
        String upload = client.startUpload(repository);
        assertThat(client.patch(upload, new byte[] {1, 2, 3}, "Content-Type", OCTETS, "Content-Range", "0-2").statusCode())
                .isEqualTo(202);
        assertThat(client.delete(upload).statusCode()).isEqualTo(204);

        registry.restart();

        RegistryClient.assertError(client.get(upload), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void pushedContentIsStillServedAfterARestart() throws Exception {
        RegistryClient.PushedImage image = client.pushImage(repository, "kept", 2);

        registry.restart();

        assertThat(client.get("/v2/" + repository + "/manifests/kept").body()).isEqualTo(image.manifest());
        for (byte[] layer : image.layers()) {
            assertThat(client.get("/v2/" + repository + "/blobs/" + sha256(layer)).body()).isEqualTo(layer);
        }
    }
}
