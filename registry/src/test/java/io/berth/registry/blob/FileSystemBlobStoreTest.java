package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileSystemBlobStoreTest {
    @TempDir
    Path root;

    private static final BufferRelay.Consumer IGNORED = (bytes, length) -> { };

    private static InputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theCheckFailsOnceTheBlobDirectoryIsGone() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        store.check();
        try (var files = Files.list(root)) {
            assertThat(files.map(file -> file.getFileName().toString())).containsExactlyInAnyOrder("blobs",
                    "uploads", "trash");
        }

        Files.delete(root.resolve("blobs")); // empty: nothing was stored

        assertThatThrownBy(store::check).isInstanceOf(IOException.class).hasMessageContaining("blobs");
    }

    @Test
    void anUploadBecomesAContentAddressedBlobOnlyWhenCommitted() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Digest digest = Digest.sha256("hello world".getBytes(StandardCharsets.UTF_8));
        store.createUpload("u1", true);
        assertThat(store.writeUpload("u1", 0, bytes("hello "), IGNORED)).isEqualTo(6);
        assertThat(store.writeUpload("u1", 6, bytes("world"), IGNORED)).isEqualTo(11);
        assertThat(store.open(digest)).isEmpty();

        store.commitUpload("u1", 11, digest);

        BlobContent blob = store.open(digest).orElseThrow();
        assertThat(blob.size()).isEqualTo(11);
        try (InputStream in = blob.open(6, 5)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("world");
        }
        assertThat(blob.localFile().orElseThrow())
                .isEqualTo(root.resolve("blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex()));
        assertThat(Files.list(root.resolve("uploads"))).isEmpty();
    }

    @Test
    void aBodyArrivingInSmallPiecesIsStoredExactlyAtItsOffset() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        byte[] body = new byte[700_001]; // more than two of the store's buffers, not a multiple of anything
        new java.util.Random(7).nextBytes(body);
        InputStream trickle = new ByteArrayInputStream(body) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1_000));
            }
        };
        store.createUpload("t", true);
        store.writeUpload("t", 0, bytes("head"), IGNORED);
        assertThat(store.writeUpload("t", 4, trickle, IGNORED)).isEqualTo(4 + body.length);
        byte[] stored = Files.readAllBytes(root.resolve("uploads/t"));
        assertThat(java.util.Arrays.copyOfRange(stored, 4, stored.length)).isEqualTo(body);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4095, 256 * 1024, 256 * 1024 + 1, (int) FileSystemBlobStore.RELAYED_FROM,
            (int) FileSystemBlobStore.RELAYED_FROM + 1, 9 * 1024 * 1024 + 3, 21 * 1024 * 1024 + 17})
    void theObserverSeesExactlyTheBytesWrittenInOrder(int size) throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        byte[] body = new byte[size];
        new Random(size).nextBytes(body);
        InputStream uneven = new ByteArrayInputStream(body) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7919)); // reads that never line up with the buffers
            }
        };
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        store.createUpload("o", false);

        assertThat(store.writeUpload("o", 0, uneven, (bytes, length) -> sha256.update(bytes, 0, length)))
                .isEqualTo(size);

        assertThat(Digest.of(DigestAlgorithm.SHA256, sha256)).isEqualTo(Digest.sha256(body));
        assertThat(Files.readAllBytes(root.resolve("uploads/o"))).isEqualTo(body);
    }

    @Test
    @Timeout(60)
    void anUploadWhoseClientPausesHoldsNoBuffersWhileItWaitsAndStoresEveryByte() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        byte[] body = new byte[21 * 1024 * 1024 + 17];
        new Random(21).nextBytes(body);
        // Pauses off and on page and buffer boundaries, before and past where writing gets a thread of its own.
        PausingInput client = new PausingInput(body, 100_000, 4 * 262_144, 9 * 1024 * 1024 + 12_345,
                15 * 1024 * 1024);
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        store.createUpload("p", false);

        assertThat(store.writeUpload("p", 0, client, (bytes, length) -> sha256.update(bytes, 0, length)))
                .isEqualTo(body.length);

        assertThat(client.lentWhileWaiting).as("buffers lent out while the client paused").containsExactly(0, 0, 0, 0);
        assertThat(Digest.of(DigestAlgorithm.SHA256, sha256)).isEqualTo(Digest.sha256(body));
        assertThat(Files.readAllBytes(root.resolve("uploads/p"))).isEqualTo(body);
    }

    /**
     * A request body whose client stops at each of {@code pauses} for longer than the store's patience, then goes on.
     * A read while it is stopped fails: the real one would wait there, holding the store's buffers.
     */
    private static final class PausingInput extends InputStream implements AwaitableInput {
        private final byte[] body;
        private final int[] pauses;
        private int position;
        private int pause;
        final List<Integer> lentWhileWaiting = new ArrayList<>();

        PausingInput(byte[] body, int... pauses) {
            this.body = body;
            this.pauses = pauses;
        }

        private int arrivedUpTo() {
            return pause < pauses.length ? pauses[pause] : body.length;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] bytes, int offset, int length) {
            if (position == body.length) {
                return -1;
            }
            assertThat(position).as("read while the client is stopped").isLessThan(arrivedUpTo());
            int read = Math.min(Math.min(length, 7919), arrivedUpTo() - position);
            System.arraycopy(body, position, bytes, offset, read);
            position += read;
            return read;
        }

        @Override
        public int available() {
            return arrivedUpTo() - position;
        }

        @Override
        public boolean awaitData(long millis) {
            if (position < arrivedUpTo() || position == body.length) {
                return true;
            }
            if (millis < Long.MAX_VALUE) {
                return false; // slower than the store's patience
            }
            lentWhileWaiting.add(BufferPool.BODIES.lent() + BufferPool.NATIVE.lent());
            pause++;
            return true;
        }
    }

    @Test
    void aLargeUploadIsStoredExactlyAcrossChunksOnAndOffBlockBoundaries() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Random random = new Random(11);
        // Chunks that cross RELAYED_FROM, end off a page boundary, and go on from there.
        byte[][] chunks = {new byte[(int) FileSystemBlobStore.RELAYED_FROM - 4096], new byte[3 * 262_144 + 4096],
                new byte[1_000_003], new byte[2 * 262_144]};
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ByteArrayOutputStream observed = new ByteArrayOutputStream();
        store.createUpload("big", true);
        long offset = 0;
        for (byte[] chunk : chunks) {
            random.nextBytes(chunk);
            expected.write(chunk);
            offset = store.writeUpload("big", offset, new ByteArrayInputStream(chunk),
                    (bytes, length) -> observed.write(bytes, 0, length));
        }
        assertThat(offset).isEqualTo(expected.size());
        assertThat(Files.readAllBytes(root.resolve("uploads/big"))).isEqualTo(expected.toByteArray());
        assertThat(observed.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void aLargeUploadIsInThePageCacheForItsFirstPull() throws Exception {
        // On the project's own disk: in a temporary directory in memory (tmpfs) every file is cached anyway.
        Path store = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "page-cache-test");
        try {
            FileSystemBlobStore blobs = new FileSystemBlobStore(store);
            byte[] body = new byte[(int) FileSystemBlobStore.RELAYED_FROM + 24 * 1024 * 1024 + 5];
            new Random(3).nextBytes(body);
            Digest digest = Digest.sha256(body);
            blobs.createUpload("large", false);
            assertThat(blobs.writeUpload("large", 0, new ByteArrayInputStream(body), IGNORED)).isEqualTo(body.length);
            assertThat(blobs.commitUpload("large", body.length, digest)).isTrue();

            Path file = blobs.open(digest).orElseThrow().localFile().orElseThrow();
            assertThat(residentBytes(file)).isGreaterThanOrEqualTo(body.length - 4096L);
            assertThat(Files.readAllBytes(file)).isEqualTo(body);
        } finally {
            try (var files = Files.walk(store)) {
                for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }

    @Test
    @Timeout(30) // waiting for a buffer that nobody gives back fails here instead of hanging the build
    void aLargeUploadIsStoredExactlyWhenOneNativeBufferIsLeft() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        byte[] body = new byte[(int) FileSystemBlobStore.RELAYED_FROM + 5 * 262_144 + 17];
        new Random(5).nextBytes(body);
        // As if many other uploads were being written: the pool can lend this one a single native buffer.
        List<ByteBuffer> others = new ArrayList<>();
        for (List<ByteBuffer> one = BufferPool.NATIVE.tryTake(1); !one.isEmpty(); one = BufferPool.NATIVE.tryTake(1)) {
            others.addAll(one);
        }
        BufferPool.NATIVE.give(others.removeLast());
        try {
            store.createUpload("lean", false);
            assertThat(store.writeUpload("lean", 0, new ByteArrayInputStream(body), IGNORED)).isEqualTo(body.length);
            assertThat(Files.readAllBytes(root.resolve("uploads/lean"))).isEqualTo(body);
        } finally {
            others.forEach(BufferPool.NATIVE::give);
        }
    }

    /** How much of a file is in the page cache, as util-linux's {@code fincore} tells. */
    private static long residentBytes(Path file) throws Exception {
        Process fincore;
        try {
            fincore = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                    .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assertThat("true".equalsIgnoreCase(System.getenv("CI"))).as("fincore (util-linux-extra) is required in CI")
                    .isFalse();
            assumeTrue(false, "fincore (util-linux-extra) is not installed");
            throw e;
        }
        String output = new String(fincore.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(fincore.waitFor()).as(output).isZero();
        return Long.parseLong(output);
    }

    @Test
    void bytesWrittenPastTheAcknowledgedOffsetAreDroppedByTheNextWrite() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        store.createUpload("u2", true);
        store.writeUpload("u2", 0, bytes("abc"), IGNORED);
        store.writeUpload("u2", 3, bytes("GARBAGE"), IGNORED); // as if the server died before recording this chunk
        assertThat(store.writeUpload("u2", 3, bytes("def"), IGNORED)).isEqualTo(6);
        try (InputStream in = store.readUpload("u2", 6)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("abcdef");
        }
    }

    @Test
    void committingContentThatIsAlreadyStoredLeavesTheUploadToTheCaller() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Digest digest = Digest.sha256("same".getBytes(StandardCharsets.UTF_8));
        store.createUpload("a", true);
        store.writeUpload("a", 0, bytes("same"), IGNORED);
        assertThat(store.commitUpload("a", 4, digest)).isTrue();
        store.createUpload("b", true);
        store.writeUpload("b", 0, bytes("same"), IGNORED);

        assertThat(store.commitUpload("b", 4, digest)).isFalse();

        assertThat(store.open(digest).orElseThrow().size()).isEqualTo(4);
        assertThat(Files.list(root.resolve("uploads"))).containsExactly(root.resolve("uploads/b"));
        // The stored copy vanishes (a collection took it): the kept upload takes its place.
        store.hide(digest);
        assertThat(store.commitUpload("b", 4, digest)).isTrue();
        assertThat(store.open(digest)).isPresent();
        assertThat(Files.list(root.resolve("uploads"))).isEmpty();
    }

    @Test
    void hiddenBlobsAreGoneUntilRestoredAndPurgedForGood() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Digest kept = commit(store, "k", "kept");
        Digest purged = commit(store, "p", "purged");

        store.hide(kept);
        store.hide(purged);
        store.hide(Digest.sha256("never stored".getBytes(StandardCharsets.UTF_8)));

        assertThat(store.open(kept)).isEmpty();
        assertThat(store.hidden()).containsExactlyInAnyOrder(kept, purged);
        store.restore(kept);
        store.purge(purged);
        assertThat(store.open(kept).orElseThrow().size()).isEqualTo(4);
        assertThat(store.open(purged)).isEmpty();
        assertThat(store.hidden()).isEmpty();
    }

    @Test
    void restoringABlobStoredAgainMeanwhileDropsTheHiddenCopy() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Digest digest = commit(store, "a", "again");
        store.hide(digest);
        commit(store, "b", "again");

        store.restore(digest);

        assertThat(store.open(digest)).isPresent();
        assertThat(store.hidden()).isEmpty();
    }

    private static Digest commit(FileSystemBlobStore store, String id, String text) throws Exception {
        Digest digest = Digest.sha256(text.getBytes(StandardCharsets.UTF_8));
        store.createUpload(id, true);
        store.writeUpload(id, 0, bytes(text), IGNORED);
        assertThat(store.commitUpload(id, text.length(), digest)).isTrue();
        return digest;
    }

    @Test
    void uploadIdsCannotNameFilesOutsideTheStore() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.createUpload("../escape", true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.exists(root.resolveSibling("escape"))).isFalse();
    }
}
