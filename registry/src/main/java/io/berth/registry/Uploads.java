package io.berth.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.Names;
import io.berth.registry.blob.AwaitableInput;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.RepositoryLimit;
import io.berth.registry.metadata.Upload;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blob upload sessions: start, append chunks, finish with a digest, cancel, mount, expire.
 *
 * <p>Bytes are hashed (SHA-256) as they stream in; the running hash is kept in memory per session, and its state is
 * saved with the session's size at the end of each chunk ({@link ResumableSha256}), in the same update. A session
 * that continues on another process or after a restart restores that state and goes on hashing; only when there is
 * none (the JVM could not save it) or it finishes with another algorithm is it re-hashed from its stored bytes. The
 * session's size in the metadata store is only advanced after the bytes are durable, so a crash mid-chunk leaves the
 * session where it was acknowledged, with the state of exactly the acknowledged bytes.
 */
public final class Uploads {
    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);
    private static final int RUNNING_HASHES = 10_000;

    private final BlobStore blobs;
    private final MetadataStore metadata;
    private final RegistryOptions options;
    private final QuotaGuard quotas;
    /**
     * Running hashes of the sessions this process has seen stream, as many as {@link #RUNNING_HASHES}: a session
     * whose hash was dropped is hashed again from its stored bytes when it goes on, so the bound costs time, never
     * correctness, and sessions that clients start and abandon cannot fill the heap.
     */
    private final Cache<String, RunningHash> hashes = Caffeine.newBuilder().maximumSize(RUNNING_HASHES).build();
    private final KeyedLocks locks = new KeyedLocks();

    public Uploads(BlobStore blobs, MetadataStore metadata, RegistryOptions options) {
        this.blobs = blobs;
        this.metadata = metadata;
        this.options = options;
        this.quotas = new QuotaGuard(options.quotas(), metadata);
    }

    /** The SHA-256 of an upload's first {@code size} bytes, as far as this process has seen them stream. */
    private record RunningHash(long size, MessageDigest sha256) {
    }

    public BlobUpload start(String repository) {
        Upload upload = begin(repository, true);
        return new BlobUpload(repository, upload.id(), 0);
    }

    /**
     * Creates an upload's storage and, when it is a {@code session} clients continue in later requests, records it.
     * An upload finished within its own request needs no record: a crash mid-way leaves data without a session,
     * which {@link #expire} removes.
     */
    private Upload begin(String repository, boolean session) {
        Registry.checkName(repository);
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        try {
            blobs.createUpload(id, session);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Upload upload = new Upload(id, repository, 0, now, now);
        if (session) {
            metadata.createUpload(upload);
        }
        hashes.put(id, new RunningHash(0, ResumableSha256.create()));
        return upload;
    }

    /**
     * Links a blob to the repository without uploading it: from {@code from} when that repository has it, or from
     * anywhere in the registry when {@code from} is null. Otherwise starts an upload session.
     */
    public MountResult mount(String repository, Digest digest, String from) {
        Registry.checkName(repository);
        boolean validSource = from == null || Names.isValidRepository(from);
        OptionalLong size = validSource && blobExists(digest) ? metadata.blobSize(digest) : OptionalLong.empty();
        if (size.isPresent()) {
            RepositoryLimit limit = quotas.linking(repository, digest, size.getAsLong());
            if (metadata.mountBlob(repository, digest, from, limit)) {
                return new MountResult.Mounted(digest);
            }
        }
        return new MountResult.Started(start(repository));
    }

    private boolean blobExists(Digest digest) {
        try {
            return blobs.open(digest).isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public BlobUpload status(String repository, String id) {
        Upload upload = find(repository, id);
        return new BlobUpload(repository, id, upload.size());
    }

    /**
     * Appends a chunk. {@code start} is the chunk's first offset from {@code Content-Range} (null when streamed);
     * {@code end}, its last, or null.
     */
    public BlobUpload append(String repository, String id, Long start, Long end, InputStream data) {
        try (KeyedLocks.Held held = locks.lock(id)) {
            Upload upload = find(repository, id);
            if (start != null && start != upload.size()) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_OUT_OF_ORDER,
                        "chunk starts at " + start + " but the upload holds " + upload.size() + " bytes");
            }
            RunningHash written = write(upload, data);
            long size = written.size();
            if (end != null && end != size - 1) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                        "Content-Range ends at " + end + " but the chunk ended at " + (size - 1));
            }
            metadata.updateUpload(id, size, System.currentTimeMillis(),
                    ResumableSha256.save(written.sha256(), size).orElse(null));
            return new BlobUpload(repository, id, size);
        }
    }

    /** Finishes an upload, with an optional last chunk, as blob {@code digestText}. Cancels it when the digest is wrong. */
    public Digest finish(String repository, String id, String digestText, InputStream lastChunk) {
        try (KeyedLocks.Held held = locks.lock(id)) {
            return complete(find(repository, id), digestText, lastChunk);
        }
    }

    /** A whole blob in one request: a session that is started and finished at once. */
    public Digest putMonolithic(String repository, String digestText, InputStream data) {
        Registry.parseDigest(digestText);
        Upload upload = begin(repository, false);
        try (KeyedLocks.Held held = locks.lock(upload.id())) {
            try {
                return complete(upload, digestText, data);
            } catch (RuntimeException e) {
                // No session to resume: what was written goes now, not at expiry (on a full disk it is the room
                // that the next push needs).
                discard(upload.id());
                throw e;
            }
        }
    }

    private Digest complete(Upload upload, String digestText, InputStream lastChunk) {
        String id = upload.id();
        Digest claimed;
        try {
            claimed = Registry.parseDigest(digestText);
        } catch (RegistryException e) {
            delete(id);
            throw e;
        }
        long size = lastChunk == null ? upload.size() : write(upload, lastChunk).size();
        Digest actual = digestOf(upload, size, claimed);
        if (!actual.equals(claimed)) {
            delete(id);
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "uploaded content has digest " + actual);
        }
        RepositoryLimit limit;
        try {
            limit = quotas.linking(upload.repository(), actual, size);
        } catch (RegistryException e) {
            delete(id); // the bytes would only wait for the session's expiry
            throw e;
        }
        boolean placed = commit(id, size, actual);
        // When the blob was stored already, those bytes may be a garbage collection's to delete: the upload's own
        // bytes stay until the metadata transaction holds the blob's row, and replace the stored ones if they went.
        metadata.completeUpload(id, upload.repository(), actual, size, () -> {
            if (!placed && !blobExists(actual)) {
                commit(id, size, actual);
            }
        }, limit);
        if (!placed) {
            try {
                blobs.deleteUpload(id);
            } catch (IOException e) {
                LOG.warn("could not remove the data of upload {}; expiry removes it later", id, e);
            }
        }
        forget(id);
        return actual;
    }

    private boolean commit(String id, long size, Digest digest) {
        try {
            return blobs.commitUpload(id, size, digest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void cancel(String repository, String id) {
        find(repository, id);
        delete(id);
    }

    /**
     * Removes sessions idle for longer than the configured expiry, with their bytes, and upload data as old that has
     * no session (a crash between creating the data and recording the session leaves such data behind).
     */
    public int expire() {
        return expire(Instant.now(), false).size();
    }

    /**
     * Removes sessions idle at {@code now} for longer than the configured expiry, and upload data as old without a
     * session, at most a thousand of each; with {@code dryRun} only lists them.
     *
     * @return what was (or would be) removed; data without a session has no repository and size 0
     */
    public List<Upload> expire(Instant now, boolean dryRun) {
        long cutoff = now.toEpochMilli() - options.uploadExpiry().toMillis();
        List<Upload> removed = new ArrayList<>();
        for (Upload upload : metadata.uploadsUpdatedBefore(cutoff, 1000)) {
            if (!dryRun) {
                delete(upload.id());
            }
            removed.add(upload);
        }
        try {
            for (String id : blobs.uploadsWrittenBefore(Instant.ofEpochMilli(cutoff), 1000)) {
                if (metadata.upload(id).isEmpty()) {
                    if (!dryRun) {
                        blobs.deleteUpload(id);
                    }
                    removed.add(new Upload(id, null, 0, 0, 0));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!removed.isEmpty() && !dryRun) {
            LOG.info("expired {} idle upload sessions", removed.size());
        }
        return removed;
    }

    private void delete(String id) {
        try {
            blobs.deleteUpload(id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        metadata.deleteUpload(id);
        forget(id);
    }

    private void discard(String id) {
        try {
            blobs.deleteUpload(id);
        } catch (IOException e) {
            LOG.warn("could not remove the data of upload {}; expiry removes it later", id, e);
        }
        forget(id);
    }

    private Upload find(String repository, String id) {
        Registry.checkName(repository);
        return metadata.upload(id)
                .filter(upload -> upload.repository().equals(repository))
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + id + " is not known"));
    }

    /** Writes a chunk at the session's acknowledged size, hashing it on the way; returns the new size and hash. */
    private RunningHash write(Upload upload, InputStream data) {
        MessageDigest sha256 = hashUpTo(upload, upload.size()).sha256();
        ClientBody body = new ClientBody(data);
        try {
            long size = blobs.writeUpload(upload.id(), upload.size(), body, (bytes, n) -> sha256.update(bytes, 0, n));
            RunningHash written = new RunningHash(size, sha256);
            hashes.put(upload.id(), written);
            return written;
        } catch (IOException e) {
            hashes.invalidate(upload.id()); // the digest saw part of the body at most
            if (body.failed) {
                throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, "upload failed: " + e.getMessage());
            }
            // Storage failed, not the client: the server's fault (a full disk, say), which no retry of the client's
            // can fix by sending other bytes.
            throw new UncheckedIOException("writing upload " + upload.id() + " failed", e);
        } catch (RuntimeException e) {
            hashes.invalidate(upload.id());
            throw e;
        }
    }

    /**
     * A request body as the store reads it, noting whether reading it failed: a body that breaks off is the client's
     * failure, a write that fails is the server's, and both reach {@link #write} as an IOException.
     */
    private static final class ClientBody extends FilterInputStream implements AwaitableInput {
        private volatile boolean failed;

        ClientBody(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int available() throws IOException {
            try {
                return super.available();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        /** As the body's own, when it can wait; otherwise more can always be read without waiting (or the end). */
        @Override
        public boolean awaitData(long millis) throws IOException {
            if (!(in instanceof AwaitableInput awaitable)) {
                return true;
            }
            try {
                return awaitable.awaitData(millis);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }

    /**
     * The SHA-256 of the upload's first {@code size} bytes: the running hash in memory, else the state the session's
     * last chunk saved (whichever process wrote it), else hashed again from the stored bytes. A state is that of the
     * session's recorded size only, so a size that moved on since (a last chunk written here) needs this process's
     * own running hash, which writing it left in memory.
     */
    private RunningHash hashUpTo(Upload upload, long size) {
        RunningHash hash = hashes.getIfPresent(upload.id());
        if (hash != null && hash.size() == size) {
            return hash;
        }
        if (size == upload.size() && upload.sha256State() != null) {
            Optional<MessageDigest> restored = ResumableSha256.restore(upload.sha256State(), size);
            if (restored.isPresent()) {
                return new RunningHash(size, restored.get());
            }
        }
        MessageDigest sha256 = ResumableSha256.create();
        rehash(upload.id(), size, sha256);
        return new RunningHash(size, sha256);
    }

    private Digest digestOf(Upload upload, long size, Digest claimed) {
        String id = upload.id();
        if (claimed.algorithm() == DigestAlgorithm.SHA256) {
            return Digest.of(DigestAlgorithm.SHA256, hashUpTo(upload, size).sha256());
        }
        MessageDigest md = claimed.algorithm().newMessageDigest();
        rehash(id, size, md);
        return Digest.of(claimed.algorithm(), md);
    }

    private void rehash(String id, long size, MessageDigest md) {
        if (size == 0) {
            return; // nothing to read, and a session's empty file need not have survived a crash
        }
        LOG.debug("re-reading the {} bytes of upload {} to hash them", size, id);
        try (InputStream in = blobs.readUpload(id, size)) {
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                md.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void forget(String id) {
        hashes.invalidate(id);
    }
}
