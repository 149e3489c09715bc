package io.berth.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.registry.blob.BufferRelay;
import io.berth.registry.blob.StorageUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** How the S3 store lays its objects out, and how it fails: what the contract test cannot see. */
class S3BlobStoreTest {
    private static final int MIB = 1024 * 1024;
    private static final BufferRelay.Consumer IGNORED = (bytes, length) -> { };
    private static S3Proxy s3proxy;
    private static int buckets;

    private S3Settings settings;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        s3proxy = S3Proxy.start();
    }

    @AfterAll
    static void stopS3Proxy() {
        if (s3proxy != null) {
            s3proxy.close();
        }
    }

    @BeforeEach
    void createBucket() {
        settings = s3proxy.bucket("berth-layout-" + ++buckets, "registry/");
    }

    /** Every object of the bucket, by key, with its size. */
    private Map<String, Long> objects() {
        try (S3Client s3 = s3proxy.client()) {
            Map<String, Long> objects = new TreeMap<>();
            s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket())).contents()
                    .forEach(object -> objects.put(object.key(), object.size()));
            return objects;
        }
    }

    private static ByteArrayInputStream random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return new ByteArrayInputStream(bytes);
    }

    @Test
    void anUploadWrittenInOneRequestThatFitsAPartGoesToItsKeyAtItsCommitWithoutParts() throws Exception {
        byte[] bytes = random(MIB).readAllBytes();
        Digest digest = Digest.sha256(bytes);
        try (S3BlobStore store = S3BlobStore.open(settings)) {
            store.createUpload("whole", false);
            store.writeUpload("whole", 0, new ByteArrayInputStream(bytes), IGNORED);
            assertThat(objects()).as("nothing is written before the commit").isEmpty();

            assertThat(store.commitUpload("whole", bytes.length, digest)).isTrue();

            assertThat(objects()).containsExactlyEntriesOf(Map.of("registry/blobs/sha256/" + digest.hex(),
                    (long) bytes.length));
            try (var in = store.open(digest).orElseThrow().open(0, bytes.length)) {
                assertThat(in.readAllBytes()).isEqualTo(bytes);
            }
        }
    }

    @Test
    void chunksArePartsOfAtLeastFiveMebibytesButTheLastAndTheBlobIsContentAddressed() throws Exception {
        try (S3BlobStore store = S3BlobStore.open(settings)) {
            store.createUpload("u", true);
            store.writeUpload("u", 0, random(MIB), IGNORED);
            assertThat(objects()).containsOnlyKeys("registry/uploads/u/started",
                    "registry/uploads/u/part-0000000000000000000");

            store.writeUpload("u", MIB, random(7 * MIB), IGNORED);
            store.writeUpload("u", 8 * MIB, random(3 * MIB), IGNORED);

            // the first chunk, too small to stay a part in the middle, was written again with the second
            assertThat(objects()).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                    "registry/uploads/u/part-0000000000000000000", 8L * MIB,
                    "registry/uploads/u/part-0000000000008388608", 3L * MIB,
                    "registry/uploads/u/started", 0L)));
        }
    }

    @Test
    void aLongChunkIsSentAsFullPartsInOrder() throws Exception {
        byte[] bytes = random(25 * MIB).readAllBytes();
        try (S3BlobStore store = S3BlobStore.open(settings)) {
            store.createUpload("long", false);
            assertThat(store.writeUpload("long", 0, new ByteArrayInputStream(bytes), IGNORED)).isEqualTo(bytes.length);

            assertThat(objects().values()).containsExactly(8L * MIB, 8L * MIB, 8L * MIB, 1L * MIB);
            try (var in = store.readUpload("long", bytes.length)) {
                assertThat(in.readAllBytes()).isEqualTo(bytes);
            }
        }
    }

    @Test
    void blobsAreStoredAtTheirDigestAndHiddenInTheTrash() throws Exception {
        byte[] bytes = "layer".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(bytes);
        try (S3BlobStore store = S3BlobStore.open(settings)) {
            store.createUpload("u", false);
            store.writeUpload("u", 0, new ByteArrayInputStream(bytes), IGNORED);
            store.commitUpload("u", bytes.length, digest);
            assertThat(objects()).containsOnlyKeys("registry/blobs/sha256/" + digest.hex());

            store.hide(digest);

            assertThat(objects()).containsOnlyKeys("registry/trash/sha256/" + digest.hex());
        }
    }

    @Test
    void theExpiryOfAnUploadAbortsTheMultipartUploadOfACommitThatACrashInterrupted() throws Exception {
        try (S3BlobStore store = S3BlobStore.open(settings); S3Client s3 = s3proxy.client()) {
            store.createUpload("crashed", true);
            store.writeUpload("crashed", 0, random(6 * MIB), IGNORED);
            // what a commit writes before it copies parts, as a crash would leave it
            String target = "registry/blobs/sha256/" + "0".repeat(64);
            String multipart = s3.createMultipartUpload(b -> b.bucket(settings.bucket()).key(target)).uploadId();
            s3.putObject(b -> b.bucket(settings.bucket()).key("registry/uploads/crashed/commit"),
                    RequestBody.fromString(target + "\n" + multipart));
            assertThat(store.uploadsWrittenBefore(Instant.now().plusSeconds(60), 10)).containsExactly("crashed");
            assertThat(s3.listMultipartUploads(b -> b.bucket(settings.bucket())).uploads()).hasSize(1);

            store.deleteUpload("crashed");

            assertThat(s3.listMultipartUploads(b -> b.bucket(settings.bucket())).uploads()).isEmpty();
            assertThat(objects()).isEmpty();
        }
    }

    @Test
    void anUnreachableStoreFailsWithStorageUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        S3Settings unreachable = new S3Settings("bucket", null, null, URI.create("http://127.0.0.1:" + closedPort),
                true, S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY, null, null);
        try (S3BlobStore store = S3BlobStore.open(unreachable)) {
            Digest digest = Digest.sha256(new byte[0]);
            assertThatThrownBy(() -> store.open(digest)).isInstanceOf(StorageUnavailableException.class);
            assertThatThrownBy(() -> store.writeUpload("u", 0, random(10), IGNORED))
                    .isInstanceOf(StorageUnavailableException.class);
            assertThatThrownBy(store::check).isInstanceOf(StorageUnavailableException.class);
        }
    }

    @Test
    void anAccessKeyWithoutASecretIsRefusedWhenTheStoreIsOpened() {
        assertThatThrownBy(() -> S3BlobStore.open(settings.withCredentials(S3Proxy.ACCESS_KEY, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("go together");
    }

    @Test
    void aRefusalIsAnIOExceptionButNotUnavailability() throws Exception {
        try (S3BlobStore store = S3BlobStore.open(settings.withCredentials(S3Proxy.ACCESS_KEY, "wrong"))) {
            assertThatThrownBy(() -> store.open(Digest.sha256(new byte[0])))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(StorageUnavailableException.class);
        }
    }
}
