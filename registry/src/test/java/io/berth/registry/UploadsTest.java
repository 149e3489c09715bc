package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.blob.ForwardingBlobStore;
import io.berth.registry.metadata.SqlMetadataStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadsTest {
    @TempDir
    Path root;
    private FileSystemBlobStore blobs;
    private SqlMetadataStore metadata;

    @BeforeEach
    void open() throws Exception {
        blobs = new FileSystemBlobStore(root);
        metadata = SqlMetadataStore.open("jdbc:sqlite:" + root.resolve("metadata.db"), null, null);
    }

    @AfterEach
    void close() {
        metadata.close();
    }

    private Uploads uploads(Duration expiry) {
        return new Uploads(blobs, metadata, new RegistryOptions(false, expiry, 1000, false, TagImmutability.NONE, false, Quotas.NONE));
    }

    private static ByteArrayInputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The store, counting the bytes read back from uploads. */
    private static final class CountingBlobStore extends ForwardingBlobStore {
        private final AtomicLong reread = new AtomicLong();

        CountingBlobStore(BlobStore store) {
            super(store);
        }

        @Override
        public InputStream readUpload(String uploadId, long length) throws IOException {
            reread.addAndGet(length);
            return store.readUpload(uploadId, length);
        }
    }

    private Uploads uploads(BlobStore store) {
        return new Uploads(store, metadata, new RegistryOptions(false, Duration.ofHours(1), 1000, true,
                TagImmutability.NONE, false, Quotas.NONE));
    }

    @Test
    void chunksAlternatingBetweenTwoServersGoOnFromTheSavedHashWithoutReadingTheBytesBack() {
        CountingBlobStore shared = new CountingBlobStore(blobs);
        Uploads[] servers = {uploads(shared), uploads(shared)};
        Random random = new Random(3);
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        BlobUpload upload = servers[0].start("repo");
        long size = 0;
        for (int chunk = 0; chunk < 24; chunk++) {
            byte[] bytes = new byte[1 + random.nextInt(chunk % 3 == 0 ? 63 : 100_000)]; // some end inside a block
            random.nextBytes(bytes);
            whole.writeBytes(bytes);
            BlobUpload after = servers[(chunk + 1) % 2].append("repo", upload.id(), size, size + bytes.length - 1,
                    new ByteArrayInputStream(bytes));
            size += bytes.length;
            assertThat(after.size()).isEqualTo(size);
        }
        whole.writeBytes("tail".getBytes(StandardCharsets.UTF_8));
        Digest expected = Digest.sha256(whole.toByteArray());

        // The last chunk went to servers[0]: the other one finishes, with a last chunk of its own.
        assertThat(servers[1].finish("repo", upload.id(), expected.toString(), bytes("tail"))).isEqualTo(expected);
        assertThat(shared.reread).as("bytes read back from the upload").hasValue(0);
        assertThat(metadata.linkedBlobSize("repo", expected)).hasValue(size + 4);
    }

    @Test
    void aSessionWithoutASavedHashIsStillRehashedFromItsStoredBytes() {
        CountingBlobStore counting = new CountingBlobStore(blobs);
        BlobUpload upload = uploads(counting).start("repo");
        uploads(counting).append("repo", upload.id(), 0L, 4L, bytes("hello"));
        // as a server that could not save the state (no --add-opens) leaves it
        metadata.updateUpload(upload.id(), 5, System.currentTimeMillis(), null);
        Uploads other = uploads(counting);
        other.append("repo", upload.id(), 5L, null, bytes(" world"));
        Digest expected = Digest.sha256("hello world".getBytes(StandardCharsets.UTF_8));
        assertThat(other.finish("repo", upload.id(), expected.toString(), null)).isEqualTo(expected);
        assertThat(counting.reread).hasValue(5);
    }

    @Test
    void aSessionContinuedByAnotherProcessGivesTheDigestOfAllItsBytes() {
        BlobUpload upload = uploads(Duration.ofHours(1)).start("repo");
        uploads(Duration.ofHours(1)).append("repo", upload.id(), 0L, 4L, bytes("hello"));
        Uploads afterRestart = uploads(Duration.ofHours(1));
        afterRestart.append("repo", upload.id(), 5L, null, bytes(" world"));
        Digest expected = Digest.sha256("hello world".getBytes(StandardCharsets.UTF_8));
        assertThat(afterRestart.finish("repo", upload.id(), expected.toString(), null)).isEqualTo(expected);
        assertThat(metadata.linkedBlobSize("repo", expected)).hasValue(11);
    }

    @Test
    void aMonolithicUploadRecordsNoSessionAndLeavesOnlyTheBlob() throws Exception {
        Digest digest = Digest.sha256("whole".getBytes(StandardCharsets.UTF_8));
        assertThat(uploads(Duration.ofHours(1)).putMonolithic("repo", digest.toString(), bytes("whole")))
                .isEqualTo(digest);
        assertThat(metadata.linkedBlobSize("repo", digest)).hasValue(5);
        assertThat(metadata.uploadsUpdatedBefore(Long.MAX_VALUE, 10)).isEmpty();
        try (var left = Files.list(root.resolve("uploads"))) {
            assertThat(left).isEmpty();
        }
        assertThatThrownBy(() -> uploads(Duration.ofHours(1)).putMonolithic("repo", digest.toString(), bytes("other")))
                .isInstanceOf(RegistryException.class);
        try (var left = Files.list(root.resolve("uploads"))) {
            assertThat(left).as("a refused monolithic upload leaves no data").isEmpty();
        }
    }

    @Test
    void anEmptySessionWhoseFileACrashLostStillFinishes() throws Exception {
        Uploads uploads = uploads(Duration.ofHours(1));
        BlobUpload upload = uploads.start("repo");
        Files.delete(root.resolve("uploads").resolve(upload.id())); // the file's name never reached the disk
        Uploads afterRestart = uploads(Duration.ofHours(1));
        afterRestart.append("repo", upload.id(), 0L, null, bytes("late"));
        Digest digest = Digest.sha256("late".getBytes(StandardCharsets.UTF_8));
        assertThat(afterRestart.finish("repo", upload.id(), digest.toString(), null)).isEqualTo(digest);
    }

    @Test
    void sha512DigestsAreVerified() {
        Uploads uploads = uploads(Duration.ofHours(1));
        Digest sha512 = Digest.of(DigestAlgorithm.SHA512, "abc".getBytes(StandardCharsets.UTF_8));
        assertThat(uploads.putMonolithic("repo", sha512.toString(), bytes("abc"))).isEqualTo(sha512);
    }

    @Test
    void aChunkedSha512UploadIsHashedFromItsStoredBytes() {
        Uploads uploads = uploads(Duration.ofHours(1));
        BlobUpload upload = uploads.start("repo");
        uploads.append("repo", upload.id(), 0L, null, bytes("ab"));
        Digest sha512 = Digest.of(DigestAlgorithm.SHA512, "abc".getBytes(StandardCharsets.UTF_8));
        assertThat(uploads(Duration.ofHours(1)).finish("repo", upload.id(), sha512.toString(), bytes("c")))
                .isEqualTo(sha512);
    }

    @Test
    void aWrongDigestCancelsTheSessionAndStoresNothing() {
        Uploads uploads = uploads(Duration.ofHours(1));
        BlobUpload upload = uploads.start("repo");
        uploads.append("repo", upload.id(), null, null, bytes("data"));
        Digest wrong = Digest.sha256("other".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> uploads.finish("repo", upload.id(), wrong.toString(), null))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
        assertThat(metadata.upload(upload.id())).isEmpty();
        assertThat(metadata.blobSize(wrong)).isEmpty();
    }

    @Test
    void aChunkThatDoesNotContinueTheUploadIsOutOfOrder() {
        Uploads uploads = uploads(Duration.ofHours(1));
        BlobUpload upload = uploads.start("repo");
        uploads.append("repo", upload.id(), 0L, 2L, bytes("abc"));
        assertThatThrownBy(() -> uploads.append("repo", upload.id(), 5L, 7L, bytes("def")))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_OUT_OF_ORDER));
        assertThat(uploads.status("repo", upload.id()).size()).isEqualTo(3);
    }

    @Test
    void aSessionBelongsToItsRepository() {
        Uploads uploads = uploads(Duration.ofHours(1));
        BlobUpload upload = uploads.start("repo");
        assertThatThrownBy(() -> uploads.status("other", upload.id()))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));
    }

    @Test
    void uploadDataWithoutASessionIsRemovedOnceItIsAsOldAsTheExpiry() throws Exception {
        Uploads uploads = uploads(Duration.ofHours(1));
        blobs.createUpload("crash-orphan", true); // as if the server died before recording the session
        Path orphan = root.resolve("uploads").resolve("crash-orphan");
        BlobUpload live = uploads.start("repo");
        Path liveFile = root.resolve("uploads").resolve(live.id());
        FileTime twoHoursAgo = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        Files.setLastModifiedTime(orphan, twoHoursAgo);
        Files.setLastModifiedTime(liveFile, twoHoursAgo); // old bytes, but its session is recent

        assertThat(uploads.expire()).isEqualTo(1);

        assertThat(Files.exists(orphan)).isFalse();
        assertThat(Files.exists(liveFile)).isTrue();
        assertThat(uploads.status("repo", live.id()).size()).isZero();
    }

    @Test
    void idleSessionsExpireWithTheirBytes() throws Exception {
        Uploads uploads = uploads(Duration.ZERO);
        BlobUpload upload = uploads.start("repo");
        uploads.append("repo", upload.id(), null, null, bytes("abandoned"));
        Thread.sleep(5);
        assertThat(uploads.expire()).isEqualTo(1);
        assertThat(metadata.upload(upload.id())).isEmpty();
        assertThat(Files.exists(root.resolve("uploads").resolve(upload.id()))).isFalse();
    }
}
