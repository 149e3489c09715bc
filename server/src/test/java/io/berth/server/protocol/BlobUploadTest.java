package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.assertErrorBody;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.protocol.RegistryClient.location;
import static io.berth.server.protocol.RegistryClient.withQuery;
import static io.berth.server.protocol.TestContent.digest;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Distribution spec, "Pushing blobs": upload sessions, monolithic and chunked pushes, status, cancel, digests.
 * Every request of a session goes to the first {@code Location}: the spec lets a client keep using it.
 */
class BlobUploadTest extends PerBackendRegistryTest {
    private static final String OCTETS = "application/octet-stream";

    private String repository;

    @BeforeEach
    void newRepository() {
        repository = uniqueRepository("upload");
    }

    @Test
    void postStartsASessionWithLocationUuidAndAnEmptyRange() {
        HttpResponse<byte[]> response = client.post("/v2/" + repository + "/blobs/uploads/", new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(202);
        String uuid = header(response, "Docker-Upload-UUID");
        assertThat(uuid).isNotBlank();
        assertThat(location(response)).contains(uuid);
        assertThat(header(response, "Range")).isEqualTo("0-0");
    }

    @Test
    void everySessionGetsItsOwnLocation() {
        assertThat(client.startUpload(repository)).isNotEqualTo(client.startUpload(repository));
    }

    @Test
    void monolithicPostWithDigestAnswers201AndStoresTheBlob() {
        byte[] blob = TestContent.randomBytes(5000);
        String digest = sha256(blob);

        HttpResponse<byte[]> response = postMonolithic(digest, blob);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(client.get(location(response)).body()).isEqualTo(blob);
        assertThat(client.get("/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void monolithicPostWithAWrongDigestIsDigestInvalid() {
        byte[] blob = TestContent.randomBytes(500);
        String claimed = sha256(TestContent.randomBytes(500));

        HttpResponse<byte[]> response = postMonolithic(claimed, blob);

        assertError(response, 400, "DIGEST_INVALID");
        assertThat(client.head("/v2/" + repository + "/blobs/" + claimed).statusCode()).isEqualTo(404);
        assertThat(client.head("/v2/" + repository + "/blobs/" + sha256(blob)).statusCode()).isEqualTo(404);
    }

    @Test
    void postThenPutWithTheWholeBodyAnswers201WithLocationAndDigest() {
        byte[] blob = TestContent.randomBytes(4096);
        String digest = sha256(blob);
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = client.put(withQuery(upload, "digest=" + digest), blob, "Content-Type", OCTETS);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        assertThat(header(response, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(client.get(location(response)).body()).isEqualTo(blob);
    }

    @Test
    void streamedPatchWithoutContentRangeThenPutWithoutBody() {
        byte[] blob = TestContent.randomBytes(200_000);
        String digest = sha256(blob);
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> patched = client.send("PATCH", upload,
                BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(blob)), "Content-Type", OCTETS);

        assertThat(patched.statusCode()).as(body(patched)).isEqualTo(202);
        assertThat(header(patched, "Range")).isEqualTo("0-" + (blob.length - 1));
        assertThat(location(patched)).isNotBlank();
        HttpResponse<byte[]> completed = closeWithoutBody(upload, digest);
        assertThat(completed.statusCode()).as(body(completed)).isEqualTo(201);
        assertThat(header(completed, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(client.get("/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void chunkedPatchesWithContentRangeThenPutWithoutBody() {
        byte[] blob = TestContent.randomBytes(2500);
        String digest = sha256(blob);
        String upload = client.startUpload(repository);

        for (int[] chunk : new int[][] {{0, 1000}, {1000, 2000}, {2000, 2500}}) {
            HttpResponse<byte[]> patched = patchChunk(upload, blob, chunk[0], chunk[1]);
            assertThat(patched.statusCode()).as(body(patched)).isEqualTo(202);
            assertThat(header(patched, "Range")).isEqualTo("0-" + (chunk[1] - 1));
            assertThat(location(patched)).isNotBlank();
        }
        HttpResponse<byte[]> completed = closeWithoutBody(upload, digest);

        assertThat(completed.statusCode()).as(body(completed)).isEqualTo(201);
        assertThat(header(completed, "Docker-Content-Digest")).isEqualTo(digest);
        assertThat(client.get(location(completed)).body()).isEqualTo(blob);
    }

    @Test
    void theFirstLocationStaysValidForTheWholeSessionAsDoLaterOnes() {
        byte[] blob = TestContent.randomBytes(3000);
        String first = client.startUpload(repository);

        HttpResponse<byte[]> one = patchChunk(first, blob, 0, 1000);
        String later = location(one);
        HttpResponse<byte[]> two = patchChunk(later, blob, 1000, 2000);
        HttpResponse<byte[]> three = patchChunk(first, blob, 2000, 3000);
        HttpResponse<byte[]> statusAtLater = client.get(location(two));

        assertThat(List.of(one.statusCode(), two.statusCode(), three.statusCode())).containsOnly(202);
        assertThat(header(statusAtLater, "Range")).isEqualTo("0-2999");
        HttpResponse<byte[]> done = closeWithoutBody(first, sha256(blob));
        assertThat(done.statusCode()).as(body(done)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + sha256(blob)).body()).isEqualTo(blob);
    }

    @Test
    void finalChunkMayComeWithTheClosingPut() {
        byte[] blob = TestContent.randomBytes(3000);
        String digest = sha256(blob);
        String upload = sessionWithFirstChunk(blob, 1200);

        HttpResponse<byte[]> completed = client.put(withQuery(upload, "digest=" + digest),
                Arrays.copyOfRange(blob, 1200, 3000), "Content-Type", OCTETS, "Content-Range", "1200-2999");

        assertThat(completed.statusCode()).as(body(completed)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void chunkThatSkipsAheadOrRewindsAnswers416AndLeavesTheSessionIntact() {
        byte[] blob = TestContent.randomBytes(3000);
        String digest = sha256(blob);
        String upload = sessionWithFirstChunk(blob, 1000);

        HttpResponse<byte[]> gap = patchChunk(upload, blob, 1500, 2000);
        HttpResponse<byte[]> rewind = patchChunk(upload, blob, 500, 1500);

        assertThat(gap.statusCode()).as(body(gap)).isEqualTo(416);
        assertErrorBody(gap);
        assertThat(rewind.statusCode()).as(body(rewind)).isEqualTo(416);
        assertErrorBody(rewind);
        HttpResponse<byte[]> status = client.get(upload);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(header(status, "Range")).isEqualTo("0-999");
        assertThat(patchChunk(upload, blob, 1000, 3000).statusCode()).isEqualTo(202);
        assertThat(closeWithoutBody(upload, digest).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    @Test
    void firstChunkThatDoesNotStartAtZeroAnswers416() {
        byte[] blob = TestContent.randomBytes(100);
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = patchChunk(upload, blob, 10, 100);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(416);
    }

    @Test
    void statusAnswers204WithTheRangeReceivedSoFar() {
        byte[] blob = TestContent.randomBytes(1234);
        String upload = sessionWithFirstChunk(blob, 1234);

        HttpResponse<byte[]> status = client.get(upload);

        assertThat(status.statusCode()).as(body(status)).isEqualTo(204);
        assertThat(header(status, "Range")).isEqualTo("0-1233");
        assertThat(location(status)).isNotBlank();
        assertThat(status.body()).isEmpty();
    }

    @Test
    void putWithADigestThatDoesNotMatchIsDigestInvalid() {
        byte[] blob = TestContent.randomBytes(700);
        String claimed = sha256(TestContent.randomBytes(700));
        String upload = sessionWithFirstChunk(blob, 700);

        HttpResponse<byte[]> response = closeWithoutBody(upload, claimed);

        assertError(response, 400, "DIGEST_INVALID");
        assertThat(client.head("/v2/" + repository + "/blobs/" + claimed).statusCode()).isEqualTo(404);
    }

    @Test
    void putWithoutADigestIsRefused() {
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = client.put(upload, TestContent.randomBytes(10), "Content-Type", OCTETS);

        assertError(response, 400, "DIGEST_INVALID", "BLOB_UPLOAD_INVALID");
    }

    /** The spec gives no status for a Content-Range that breaks its grammar; 400 and 416 both say "not this". */
    @Test
    void malformedContentRangeIsBlobUploadInvalid() {
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = client.patch(upload, TestContent.randomBytes(10),
                "Content-Type", OCTETS, "Content-Range", "ten-bytes");

        assertThat(response.statusCode()).as(body(response)).isIn(400, 416);
        assertErrorBody(response, "BLOB_UPLOAD_INVALID");
    }

    @Test
    void contentRangeThatDisagreesWithTheBodyLengthIsRefused() {
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = client.patch(upload, TestContent.randomBytes(10),
                "Content-Type", OCTETS, "Content-Range", "0-19");

        assertThat(response.statusCode()).as(body(response)).isIn(400, 416);
        assertErrorBody(response, "BLOB_UPLOAD_INVALID", "SIZE_INVALID");
    }

    @Test
    void deleteCancelsTheSessionAndItsUrlThenAnswersBlobUploadUnknown() {
        byte[] blob = TestContent.randomBytes(300);
        String upload = sessionWithFirstChunk(blob, 300);

        HttpResponse<byte[]> cancelled = client.delete(upload);

        assertThat(cancelled.statusCode()).as(body(cancelled)).isEqualTo(204);
        assertError(client.get(upload), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(patchChunk(upload, blob, 0, 300), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(closeWithoutBody(upload, sha256(blob)), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.delete(upload), 404, "BLOB_UPLOAD_UNKNOWN");
        assertThat(client.head("/v2/" + repository + "/blobs/" + sha256(blob)).statusCode()).isEqualTo(404);
    }

    @Test
    void aCompletedSessionIsClosed() {
        byte[] blob = TestContent.randomBytes(300);
        String upload = client.startUpload(repository);
        assertThat(client.put(withQuery(upload, "digest=" + sha256(blob)), blob, "Content-Type", OCTETS).statusCode())
                .isEqualTo(201);

        assertError(client.get(upload), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.patch(upload, new byte[] {1}, "Content-Type", OCTETS), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void unknownSessionAnswersBlobUploadUnknown() {
        String unknown = "/v2/" + repository + "/blobs/uploads/" + UUID.randomUUID();
        client.pushBlob(repository, TestContent.randomBytes(4));

        assertError(client.get(unknown), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.patch(unknown, new byte[] {1, 2}, "Content-Type", OCTETS), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.put(unknown + "?digest=" + sha256(new byte[] {1, 2}), new byte[] {1, 2}), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.delete(unknown), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void aSessionCannotBeUsedThroughAnotherRepository() {
        String upload = client.startUpload(repository);
        String path = URI.create(client.uri(upload).toString()).getRawPath();
        assumeTrue(path.startsWith("/v2/" + repository + "/blobs/uploads/"), "upload location names its repository");
        String other = uniqueRepository("other");
        client.pushBlob(other, TestContent.randomBytes(4));
        String foreign = "/v2/" + other + path.substring(("/v2/" + repository).length());

        assertError(client.get(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void sha512DigestsWorkForMonolithicAndChunkedUploads() {
        byte[] monolithic = TestContent.randomBytes(1500);
        String monolithicDigest = digest("sha512", monolithic);
        HttpResponse<byte[]> posted = postMonolithic(monolithicDigest, monolithic);
        assertThat(posted.statusCode()).as(body(posted)).isEqualTo(201);
        assertThat(header(posted, "Docker-Content-Digest")).isEqualTo(monolithicDigest);

        byte[] chunked = TestContent.randomBytes(2100);
        String chunkedDigest = digest("sha512", chunked);
        String upload = sessionWithFirstChunk(chunked, 1000);
        assertThat(patchChunk(upload, chunked, 1000, 2100).statusCode()).isEqualTo(202);
        HttpResponse<byte[]> completed = closeWithoutBody(upload, chunkedDigest);
        assertThat(completed.statusCode()).as(body(completed)).isEqualTo(201);

        for (var entry : java.util.Map.of(monolithicDigest, monolithic, chunkedDigest, chunked).entrySet()) {
            HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/blobs/" + entry.getKey());
            assertThat(pulled.statusCode()).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(entry.getValue());
            assertThat(header(pulled, "Docker-Content-Digest")).isEqualTo(entry.getKey());
        }
    }

    @Test
    void sha512DigestMismatchIsDigestInvalid() {
        byte[] blob = TestContent.randomBytes(100);

        HttpResponse<byte[]> response = postMonolithic(digest("sha512", TestContent.randomBytes(100)), blob);

        assertError(response, 400, "DIGEST_INVALID");
    }

    @Test
    void zeroByteBlobCanBePushedMonolithicallyAndPulled() {
        String digest = sha256(new byte[0]);

        HttpResponse<byte[]> response = postMonolithic(digest, new byte[0]);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/blobs/" + digest);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEmpty();
        assertThat(header(pulled, "Content-Length")).isEqualTo("0");
        HttpResponse<byte[]> head = client.head("/v2/" + repository + "/blobs/" + digest);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(header(head, "Content-Length")).isEqualTo("0");
    }

    @Test
    void zeroByteBlobCanBePushedThroughASession() {
        String digest = digest("sha512", new byte[0]);
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = closeWithoutBody(upload, digest);

        assertThat(response.statusCode()).as(body(response)).isEqualTo(201);
        HttpResponse<byte[]> pulled = client.get("/v2/" + repository + "/blobs/" + digest);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEmpty();
    }

    @Test
    void pushingABlobThatAlreadyExistsSucceedsAgain() {
        byte[] blob = TestContent.randomBytes(100);
        String digest = client.pushBlob(repository, blob);

        HttpResponse<byte[]> again = postMonolithic(digest, blob);

        assertThat(again.statusCode()).as(body(again)).isEqualTo(201);
        assertThat(client.get("/v2/" + repository + "/blobs/" + digest).body()).isEqualTo(blob);
    }

    /** A monolithic push: one POST with the digest and the whole blob. */
    private HttpResponse<byte[]> postMonolithic(String digest, byte[] blob) {
        return client.post("/v2/" + repository + "/blobs/uploads/?digest=" + digest, blob, "Content-Type", OCTETS);
    }

    /** Starts a session and sends it {@code blob[0, end)} as its first chunk, which must be accepted. */
    private String sessionWithFirstChunk(byte[] blob, int end) {
        String upload = client.startUpload(repository);
        assertThat(patchChunk(upload, blob, 0, end).statusCode()).isEqualTo(202);
        return upload;
    }

    /** A closing PUT with the digest and no body: the bytes, if any, came in PATCHes. */
    private static HttpResponse<byte[]> closeWithoutBody(String upload, String digest) {
        return client.put(withQuery(upload, "digest=" + digest), new byte[0]);
    }

    private static HttpResponse<byte[]> patchChunk(String upload, byte[] blob, int from, int to) {
        return client.patch(upload, Arrays.copyOfRange(blob, from, Math.min(to, blob.length)),
                "Content-Type", OCTETS, "Content-Range", from + "-" + (to - 1));
    }
}
