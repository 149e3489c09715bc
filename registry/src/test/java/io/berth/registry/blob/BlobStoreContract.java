package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link BlobStore} must do, as the registry relies on it. A store's test extends this class and says how
 * to open a store; each test starts on empty storage, and {@link #openAnother()} opens a second store on the same
 * storage, as another node of the registry would.
 */
public abstract class BlobStoreContract {
    private static final int MIB = 1024 * 1024;
    private static final BufferRelay.Consumer IGNORED = (bytes, length) -> { };

    /** The store under test, on fresh storage. */
    protected BlobStore store;

    /** Opens a store on storage of its own, empty; called before each test. */
    protected abstract BlobStore openEmpty() throws Exception;

    /** Opens another store on the storage of the last {@link #openEmpty()}, as another node does. */
    protected abstract BlobStore openAnother() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = openEmpty();
    }

    @AfterEach
    void closeStore() throws Exception {
        store.close();
    }

    @Test
    void aWorkingStorePassesItsCheckAndLeavesNothingBehind() throws Exception {
        store.check();
        store.check();

        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).isEmpty();
        assertThat(store.hidden()).isEmpty();
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static InputStream stream(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    private static InputStream text(String text) {
        return stream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private byte[] readBlob(Digest digest, long offset, long length) throws IOException {
        return read(store.open(digest).orElseThrow().open(offset, length));
    }

    /** Uploads {@code bytes} in one write and commits them. */
    private Digest storeBlob(String uploadId, byte[] bytes) throws IOException {
        Digest digest = Digest.sha256(bytes);
        store.createUpload(uploadId, false);
        store.writeUpload(uploadId, 0, stream(bytes), IGNORED);
        assertThat(store.commitUpload(uploadId, bytes.length, digest)).isTrue();
        return digest;
    }

    @Test
    void anUploadBecomesAContentAddressedBlobOnlyWhenCommitted() throws Exception {
        Digest digest = Digest.sha256("hello world".getBytes(StandardCharsets.UTF_8));
        store.createUpload("u1", true);
        assertThat(store.writeUpload("u1", 0, text("hello "), IGNORED)).isEqualTo(6);
        assertThat(store.writeUpload("u1", 6, text("world"), IGNORED)).isEqualTo(11);
        assertThat(store.open(digest)).isEmpty();

        assertThat(store.commitUpload("u1", 11, digest)).isTrue();

        assertThat(store.open(digest).orElseThrow().size()).isEqualTo(11);
        assertThat(new String(readBlob(digest, 6, 5), StandardCharsets.UTF_8)).isEqualTo("world");
        assertThat(new String(readBlob(digest, 0, 11), StandardCharsets.UTF_8)).isEqualTo("hello world");
        assertThat(readBlob(digest, 3, 0)).isEmpty();
        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).doesNotContain("u1");
    }

    @Test
    void anEmptyUploadBecomesAnEmptyBlob() throws Exception {
        Digest digest = Digest.sha256(new byte[0]);
        store.createUpload("empty", true);
        assertThat(store.writeUpload("empty", 0, stream(new byte[0]), IGNORED)).isZero();
        assertThat(read(store.readUpload("empty", 0))).isEmpty();

        assertThat(store.commitUpload("empty", 0, digest)).isTrue();

        assertThat(store.open(digest).orElseThrow().size()).isZero();
    }

    @Test
    void chunksSmallerAndLargerThanAMultipartPartMakeOneBlob() throws Exception {
        byte[] first = random(MIB, 1);
        byte[] second = random(7 * MIB, 2);
        byte[] third = random(3 * MIB, 3);
        byte[] whole = concat(first, second, third);
        Digest digest = Digest.sha256(whole);
        ByteArrayOutputStream observed = new ByteArrayOutputStream();
        BufferRelay.Consumer observer = (bytes, length) -> observed.write(bytes, 0, length);

        store.createUpload("chunks", true);
        assertThat(store.writeUpload("chunks", 0, stream(first), observer)).isEqualTo(MIB);
        assertThat(store.writeUpload("chunks", MIB, stream(second), observer)).isEqualTo(8 * MIB);
        assertThat(store.writeUpload("chunks", 8 * MIB, stream(third), observer)).isEqualTo(11 * MIB);

        assertThat(observed.toByteArray()).as("what the observer saw").isEqualTo(whole);
        assertThat(read(store.readUpload("chunks", whole.length))).isEqualTo(whole);
        assertThat(read(store.readUpload("chunks", 5))).isEqualTo(Arrays.copyOf(whole, 5));
        assertThat(store.commitUpload("chunks", whole.length, digest)).isTrue();
        assertThat(store.open(digest).orElseThrow().size()).isEqualTo(whole.length);
        assertThat(readBlob(digest, 0, whole.length)).isEqualTo(whole);
        // across the boundaries of the chunks and of the parts a store may have made of them
        for (int offset : new int[] {MIB - 7, 5 * MIB - 7, 8 * MIB - 7, 11 * MIB - 14}) {
            assertThat(readBlob(digest, offset, 14)).isEqualTo(Arrays.copyOfRange(whole, offset, offset + 14));
        }
    }

    @Test
    void aBlobCanBeCommittedWithFewerBytesThanTheUploadHolds() throws Exception {
        byte[] bytes = random(9 * MIB, 4);
        byte[] blob = Arrays.copyOf(bytes, 6 * MIB + 1);
        Digest digest = Digest.sha256(blob);
        store.createUpload("longer", true);
        store.writeUpload("longer", 0, stream(bytes), IGNORED);

        assertThat(store.commitUpload("longer", blob.length, digest)).isTrue();

        assertThat(readBlob(digest, 0, blob.length)).isEqualTo(blob);
    }

    @Test
    void aWriteAtAnOffsetDropsWhatTheUploadHeldPastIt() throws Exception {
        store.createUpload("resume", true);
        store.writeUpload("resume", 0, text("0123456789"), IGNORED);

        assertThat(store.writeUpload("resume", 4, text("abc"), IGNORED)).isEqualTo(7);

        assertThat(new String(read(store.readUpload("resume", 7)), StandardCharsets.UTF_8)).isEqualTo("0123abc");
        Digest digest = Digest.sha256("0123abc".getBytes(StandardCharsets.UTF_8));
        assertThat(store.commitUpload("resume", 7, digest)).isTrue();
        assertThat(readBlob(digest, 0, 7)).isEqualTo("0123abc".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aLargeWriteResumedInTheMiddleKeepsOnlyTheBytesBeforeItsOffset() throws Exception {
        byte[] failed = random(9 * MIB, 5); // as if a write was not acknowledged past 5 MiB + 3
        byte[] retried = random(2 * MIB, 6);
        int offset = 5 * MIB + 3;
        byte[] whole = concat(Arrays.copyOf(failed, offset), retried);
        store.createUpload("retry", true);
        store.writeUpload("retry", 0, stream(failed), IGNORED);

        assertThat(store.writeUpload("retry", offset, stream(retried), IGNORED)).isEqualTo(whole.length);

        assertThat(read(store.readUpload("retry", whole.length))).isEqualTo(whole);
        Digest digest = Digest.sha256(whole);
        assertThat(store.commitUpload("retry", whole.length, digest)).isTrue();
        assertThat(readBlob(digest, 0, whole.length)).isEqualTo(whole);
    }

    @Test
    void aWritePastTheEndOfTheUploadFails() throws Exception {
        store.createUpload("gap", true);
        store.writeUpload("gap", 0, text("abc"), IGNORED);

        assertThatThrownBy(() -> store.writeUpload("gap", 10, text("def"), IGNORED)).isInstanceOf(IOException.class);
    }

    @Test
    void anotherStoreContinuesAnUploadTheFirstBegan() throws Exception {
        byte[] first = random(MIB, 7);
        byte[] second = random(6 * MIB, 8);
        byte[] third = random(2 * MIB + 5, 9);
        byte[] whole = concat(first, second, third);
        Digest digest = Digest.sha256(whole);
        store.createUpload("shared", true);
        store.writeUpload("shared", 0, stream(first), IGNORED);

        try (BlobStore other = openAnother()) {
            assertThat(other.writeUpload("shared", first.length, stream(second), IGNORED))
                    .isEqualTo(first.length + second.length);
            assertThat(store.writeUpload("shared", first.length + second.length, stream(third), IGNORED))
                    .isEqualTo(whole.length);
            assertThat(read(other.readUpload("shared", whole.length))).isEqualTo(whole);
            assertThat(other.commitUpload("shared", whole.length, digest)).isTrue();
        }
        assertThat(readBlob(digest, 0, whole.length)).isEqualTo(whole);
    }

    @ParameterizedTest(name = "resumable: {0}")
    @ValueSource(booleans = {true, false})
    void committingContentThatIsStoredAlreadyReturnsFalseAndLeavesTheUpload(boolean resumable) throws Exception {
        byte[] bytes = "same bytes".getBytes(StandardCharsets.UTF_8);
        Digest digest = storeBlob("first", bytes);
        store.createUpload("second", resumable);
        store.writeUpload("second", 0, stream(bytes), IGNORED);

        assertThat(store.commitUpload("second", bytes.length, digest)).isFalse();

        assertThat(read(store.readUpload("second", bytes.length))).isEqualTo(bytes);
        store.delete(digest);
        assertThat(store.commitUpload("second", bytes.length, digest)).isTrue();
        assertThat(readBlob(digest, 0, bytes.length)).isEqualTo(bytes);
    }

    @Test
    void anUploadWrittenInOneRequestLargerThanAMultipartPartMakesOneBlob() throws Exception {
        byte[] bytes = random(9 * MIB, 4);

        Digest digest = storeBlob("large", bytes);

        assertThat(readBlob(digest, 0, bytes.length)).isEqualTo(bytes);
        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).doesNotContain("large");
    }

    @Test
    void aDeletedBlobIsGoneAndDeletingAnAbsentOneIsNoError() throws Exception {
        Digest digest = storeBlob("d", "to delete".getBytes(StandardCharsets.UTF_8));

        store.delete(digest);
        store.delete(digest);

        assertThat(store.open(digest)).isEmpty();
    }

    @Test
    void hiddenBlobsAreGoneUntilRestoredAndPurgedForGood() throws Exception {
        Digest digest = storeBlob("h", "collected".getBytes(StandardCharsets.UTF_8));

        store.hide(digest);
        assertThat(store.open(digest)).isEmpty();
        assertThat(store.hidden()).containsExactly(digest);

        store.restore(digest);
        assertThat(readBlob(digest, 0, 9)).isEqualTo("collected".getBytes(StandardCharsets.UTF_8));
        assertThat(store.hidden()).isEmpty();

        store.hide(digest);
        store.purge(digest);
        assertThat(store.hidden()).isEmpty();
        assertThat(store.open(digest)).isEmpty();
        store.restore(digest); // nothing to restore
        store.purge(digest);
        store.hide(digest); // nothing to hide
        assertThat(store.open(digest)).isEmpty();
    }

    @Test
    void restoringABlobStoredAgainMeanwhileDropsTheHiddenCopy() throws Exception {
        byte[] bytes = "again".getBytes(StandardCharsets.UTF_8);
        Digest digest = storeBlob("a1", bytes);
        store.hide(digest);
        storeBlob("a2", bytes);

        store.restore(digest);

        assertThat(store.hidden()).isEmpty();
        assertThat(readBlob(digest, 0, bytes.length)).isEqualTo(bytes);
    }

    @Test
    void uploadsWrittenBeforeACutoffAreListedUntilDeleted() throws Exception {
        store.createUpload("idle", true);
        store.writeUpload("idle", 0, text("abandoned"), IGNORED);
        store.createUpload("fresh", true); // started, nothing written yet

        assertThat(store.uploadsWrittenBefore(Instant.now().minusSeconds(3600), 10)).isEmpty();
        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).containsExactlyInAnyOrder("idle",
                "fresh");
        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 1)).hasSize(1);

        store.deleteUpload("idle");
        store.deleteUpload("idle");
        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).containsExactly("fresh");
    }

    @ParameterizedTest(name = "resumable: {0}")
    @ValueSource(booleans = {true, false})
    void aDeletedUploadCanNoLongerBeCommitted(boolean resumable) throws Exception {
        store.createUpload("gone", resumable);
        store.writeUpload("gone", 0, text("bytes"), IGNORED);

        store.deleteUpload("gone");

        Digest digest = Digest.sha256("bytes".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.commitUpload("gone", 5, digest)).isInstanceOf(IOException.class);
        assertThat(store.open(digest)).isEmpty();
        assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).doesNotContain("gone");
    }
}
