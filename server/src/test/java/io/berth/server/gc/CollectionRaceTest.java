package io.berth.server.gc;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.registry.MountResult;
import io.berth.registry.Registry;
import io.berth.registry.RegistryOptions;
import io.berth.registry.Uploads;
import io.berth.registry.blob.BlobContent;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.blob.ForwardingBlobStore;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.gc.GarbageCollector;
import io.berth.registry.gc.GcReport;
import io.berth.registry.gc.GcRules;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.MutableClock;
import io.berth.server.testing.TestDatabase;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The races between a collection deleting a blob and a push that needs the blob, forced into their worst order: the
 * collector is stopped while it holds the blob's row and is about to hide its bytes, the push runs into it, and then
 * the collector goes on. Whatever the push reports, the blob must afterwards be either stored in full (row, link
 * and bytes) or not at all.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
class CollectionRaceTest {
    private static final String REPOSITORY = "race/app";

    @Parameter
    Backend backend;

    @TempDir
    Path data;

    /** The collector and the push each need a thread of their own (the common pool may have only one). */
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private TestDatabase database;
    private SqlMetadataStore metadata;
    private HoldingBlobStore blobs;
    private Uploads uploads;
    private Registry registry;
    private GarbageCollector collector;

    @BeforeEach
    void open() throws IOException {
        database = backend == Backend.POSTGRES ? TestDatabase.create() : null;
        metadata = SqlMetadataStore.open(database == null ? "jdbc:sqlite:" + data.resolve("metadata.db")
                : database.url(), null, null);
        blobs = new HoldingBlobStore(new FileSystemBlobStore(data));
        uploads = new Uploads(blobs, metadata, RegistryOptions.DEFAULTS);
        registry = new Registry(blobs, metadata, RegistryOptions.DEFAULTS);
        // Grace zero and a clock a minute ahead: every unreferenced blob is garbage.
        MutableClock clock = new MutableClock();
        clock.advance(Duration.ofMinutes(1));
        collector = new GarbageCollector(blobs, metadata, uploads, registry,
                new GcRules(Duration.ZERO, Duration.ZERO, GcRules.UntaggedPolicy.NONE), clock);
    }

    @AfterEach
    void close() {
        threads.shutdownNow();
        if (metadata != null) { // null when the backend is missing and the test was skipped
            metadata.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void anUploadFinishingWhileItsBlobIsCollectedStoresItsOwnBytes() throws Exception {
        byte[] content = TestContent.randomBytes(5000);
        Digest digest = garbageBlob(content);
        // The client has sent every byte; only the final PUT is left.
        String id = uploads.start(REPOSITORY).id();
        uploads.append(REPOSITORY, id, 0L, null, new ByteArrayInputStream(content));

        CompletableFuture<GcReport> collection = collectHoldingAtHide();
        CompletableFuture<Digest> finish = CompletableFuture.supplyAsync(
                () -> uploads.finish(REPOSITORY, id, digest.toString(), null), threads);
        letTheCollectorGoOnSoon();

        assertThat(finish.get(30, TimeUnit.SECONDS)).isEqualTo(digest);
        assertThat(collection.get(30, TimeUnit.SECONDS).items()).extracting(GcReport.Item::reference)
                .contains(digest.toString());
        assertThat(metadata.linkedBlobSize(REPOSITORY, digest)).hasValue(content.length);
        assertThat(storedBytes(digest)).isEqualTo(content);
    }

    @Test
    void aMountWhileItsBlobIsCollectedStartsAnUploadInstead() throws Exception {
        byte[] content = TestContent.randomBytes(3000);
        Digest digest = garbageBlob(content);

        CompletableFuture<GcReport> collection = collectHoldingAtHide();
        CompletableFuture<MountResult> mount = CompletableFuture.supplyAsync(
                () -> uploads.mount("race/other", digest, null), threads);
        letTheCollectorGoOnSoon();

        assertThat(mount.get(30, TimeUnit.SECONDS)).isInstanceOf(MountResult.Started.class);
        collection.get(30, TimeUnit.SECONDS);
        assertThat(metadata.blobSize(digest)).isEmpty();
        assertThat(metadata.linkedBlobSize("race/other", digest)).isEmpty();
        assertThat(blobs.open(digest)).isEmpty();
        assertThat(blobs.hidden()).isEmpty();
    }

    @Test
    void bytesHiddenByACollectionThatDiedAreRestoredOrPurgedByTheNext() throws Exception {
        byte[] stored = TestContent.randomBytes(100);
        Digest kept = Digest.parse(uploads.putMonolithic(REPOSITORY, TestContent.sha256(stored),
                new ByteArrayInputStream(stored)).toString());
        Digest gone = Digest.sha256("deleted, then the process died".getBytes());
        blobs.hide(kept); // as if a collection hid it and died before its transaction committed
        blobs.createUpload("orphan", true);
        blobs.writeUpload("orphan", 0, new ByteArrayInputStream("deleted, then the process died".getBytes()),
                (bytes, length) -> { });
        assertThat(blobs.commitUpload("orphan", 30, gone)).isTrue();
        blobs.hide(gone); // as if its row deletion committed and the process died before purging
        GarbageCollector patient = new GarbageCollector(blobs, metadata, uploads, registry,
                new GcRules(Duration.ofHours(1), Duration.ofHours(1), GcRules.UntaggedPolicy.NONE), new MutableClock());

        patient.collect(false, item -> { });

        assertThat(storedBytes(kept)).isEqualTo(stored);
        assertThat(blobs.hidden()).isEmpty();
    }

    /** A blob stored and then unlinked: nothing links or references it. */
    private Digest garbageBlob(byte[] content) {
        Digest digest = uploads.putMonolithic(REPOSITORY, TestContent.sha256(content), new ByteArrayInputStream(content));
        assertThat(metadata.unlinkBlob(REPOSITORY, digest)).isTrue();
        return digest;
    }

    private CompletableFuture<GcReport> collectHoldingAtHide() throws InterruptedException {
        blobs.holdNextHide = true;
        CompletableFuture<GcReport> collection = CompletableFuture.supplyAsync(
                () -> collector.collect(false, item -> { }).orElseThrow(), threads);
        assertThat(blobs.hiding.await(30, TimeUnit.SECONDS)).as("the collector reached the blob").isTrue();
        return collection;
    }

    /** Long enough for the push to run into the collector's lock; the outcome must not depend on it. */
    private void letTheCollectorGoOnSoon() throws InterruptedException {
        Thread.sleep(300);
        blobs.proceed.countDown();
    }

    private byte[] storedBytes(Digest digest) throws IOException {
        BlobContent blob = blobs.open(digest).orElseThrow(() -> new AssertionError("no bytes for " + digest));
        try (InputStream in = blob.open(0, blob.size())) {
            return in.readAllBytes();
        }
    }

    /** A blob store whose next {@link #hide}, once armed, waits until the test lets it go on. */
    private static final class HoldingBlobStore extends ForwardingBlobStore {
        final CountDownLatch hiding = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        volatile boolean holdNextHide;

        HoldingBlobStore(BlobStore store) {
            super(store);
        }

        @Override
        public void hide(Digest digest) throws IOException {
            if (holdNextHide) {
                holdNextHide = false;
                hiding.countDown();
                try {
                    proceed.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            store.hide(digest);
        }
    }
}
