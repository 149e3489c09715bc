package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Distribution spec, "Pulling blobs", "Fetch Blob Part" (Range) and "Deleting Blobs". */
class BlobPullTest extends PerBackendRegistryTest {
    private String repository;
    private byte[] blob;
    private String digest;

    @BeforeEach
    void pushBlob() {
        repository = uniqueRepository("blobs");
        blob = TestContent.randomBytes(1000);
        digest = client.pushBlob(repository, blob);
    }

    @Test
    void getReturnsTheBytesWithTheirDigestAndLength() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/blobs/" + digest);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(blob);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(header(response, "Content-Length")).isEqualTo("1000");
    }

    @Test
    void headAnswersTheLengthAndDigestWithoutABody() {
        HttpResponse<byte[]> response = client.head("/v2/" + repository + "/blobs/" + digest);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(header(response, "Content-Length")).isEqualTo("1000");
    }

    @Test
    void rangeRequestAnswers206WithThePartAndItsContentRange() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/blobs/" + digest, "Range", "bytes=100-199");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(blob, 100, 200));
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 100-199/1000");
        assertThat(header(response, "Content-Length")).isEqualTo("100");
    }

    @Test
    void rangeToTheEndAnswersTheTail() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/blobs/" + digest, "Range", "bytes=990-");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(blob, 990, 1000));
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 990-999/1000");
    }

    @Test
    void rangeEndingBeyondTheBlobIsCutAtItsLastByte() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/blobs/" + digest, "Range", "bytes=500-5000");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(blob, 500, 1000));
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 500-999/1000");
    }

    /**
     * RFC 9110 section 14.1.1 calls a range whose last position is below its first invalid, and section 14.2 lets a
     * server reject such a Range rather than ignore it: a client asking for it would otherwise take the whole blob
     * for the part it asked for.
     */
    @Test
    void rangeThatEndsBeforeItStartsAnswers416WithTheBlobsSize() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/blobs/" + digest, "Range", "bytes=500-0");

        assertThat(response.statusCode()).as(body(response)).isEqualTo(416);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes */1000");
    }

    @Test
    void rangeStartingBeyondTheBlobAnswers416() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/blobs/" + digest, "Range", "bytes=1000-1100");

        assertThat(response.statusCode()).as(body(response)).isEqualTo(416);
        response.headers().firstValue("Content-Range").ifPresent(range -> assertThat(range).isEqualTo("bytes */1000"));
    }

    @Test
    void unknownBlobAnswers404BlobUnknown() {
        String absent = sha256(TestContent.randomBytes(20));

        client.assertAbsent("/v2/" + repository + "/blobs/" + absent, "BLOB_UNKNOWN");
    }

    @Test
    void blobIsNotServedFromARepositoryThatNeverReceivedIt() {
        String other = uniqueRepository("stranger");
        client.pushBlob(other, TestContent.randomBytes(10));

        assertError(client.get("/v2/" + other + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void deleteAnswers202AndTheBlobIsThenUnknown() {
        HttpResponse<byte[]> response = client.delete("/v2/" + repository + "/blobs/" + digest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        client.assertAbsent("/v2/" + repository + "/blobs/" + digest, "BLOB_UNKNOWN");
    }

    @Test
    void deleteInOneRepositoryLeavesTheBlobInAnother() {
        String other = uniqueRepository("sibling");
        client.pushBlob(other, blob);

        assertThat(client.delete("/v2/" + repository + "/blobs/" + digest).statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = client.get("/v2/" + other + "/blobs/" + digest);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(blob);
    }

    @Test
    void deletingAnUnknownBlobAnswers404BlobUnknown() {
        assertError(client.delete("/v2/" + repository + "/blobs/" + sha256(TestContent.randomBytes(20))), 404, "BLOB_UNKNOWN");
    }

    @Test
    void aDeletedBlobCanBePushedAgain() {
        assertThat(client.delete("/v2/" + repository + "/blobs/" + digest).statusCode()).isEqualTo(202);

        client.pushBlob(repository, blob);

        assertThat(client.get("/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void aBlobLargerThanOneMappedWindowComesBackWholeAndInRangesAcrossWindows() {
        byte[] large = TestContent.randomBytes(9 * 1024 * 1024 + 123);
        String largeDigest = client.pushBlob(repository, large);

        HttpResponse<byte[]> whole = client.get("/v2/" + repository + "/blobs/" + largeDigest);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(sha256(whole.body())).isEqualTo(largeDigest);

        int first = 8 * 1024 * 1024 - 1000;
        int last = 8 * 1024 * 1024 + 999;
        HttpResponse<byte[]> across = client.get("/v2/" + repository + "/blobs/" + largeDigest, "Range",
                "bytes=" + first + "-" + last);
        assertThat(across.statusCode()).isEqualTo(206);
        assertThat(across.body()).isEqualTo(Arrays.copyOfRange(large, first, last + 1));
        assertThat(header(across, "Content-Range")).isEqualTo("bytes " + first + "-" + last + "/" + large.length);
    }
}
