package io.berth.s3;

import io.berth.oci.Digest;
import io.berth.oci.InvalidDigestException;
import io.berth.registry.blob.BlobContent;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.blob.BufferPool;
import io.berth.registry.blob.BufferRelay;
import io.berth.registry.blob.StorageUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Blobs as objects of an S3 bucket (or an S3-compatible store) at {@code <prefix>blobs/<algorithm>/<hex>}, uploads
 * under {@code <prefix>uploads/<id>/}, blobs garbage collection is deleting under {@code <prefix>trash/}.
 *
 * <p>An upload is a run of objects, its <em>parts</em>, {@code uploads/<id>/part-<offset>}, each named by the
 * offset of its first byte. Every part but the last holds at least {@link #MIN_PART} bytes, the least S3 accepts
 * for a part of a multipart upload, so that committing can assemble the blob from the parts by server-side copies
 * ({@code UploadPartCopy}, or one {@code CopyObject}) without the bytes passing through Berth again. A last part
 * smaller than that is read back by the next write and written again with the bytes that follow ("folded"), so it
 * never stays in the middle. Each part is a plain object written whole, durable once S3 acknowledges it, so an
 * upload's state is only what the bucket lists and what the registry's database records (its acknowledged size):
 * any node can continue an upload another one began, and read it back (an unfinished S3 multipart upload cannot be
 * read, which is why the parts are not written into one directly).
 *
 * <p>S3 needs a part's length before its bytes, and a request body may not say how long it is: parts are gathered in
 * pooled buffers of {@link #PART_SIZE} bytes, one per upload being written (two when the pool can spare them, so
 * that one part is sent while the next fills), so many concurrent uploads wait for buffers instead of exhausting the
 * heap. With at most 10,000 parts per multipart upload, a blob can be
 * {@code PART_SIZE * 10,000} bytes long.
 *
 * <p>Blob content appears only when S3 completes a {@code CopyObject} or multipart upload, both atomic: a reader sees
 * no object or the whole blob. Failures of S3 or of the network surface as {@link IOException}s.
 */
public final class S3BlobStore implements BlobStore {
    private static final Logger LOG = LoggerFactory.getLogger(S3BlobStore.class);
    private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
    /** S3's least size of a multipart upload's part, but the last. */
    static final long MIN_PART = 5L * 1024 * 1024;
    /** The size of the parts written; a part is buffered whole, so this is also the memory one writing upload holds. */
    static final int PART_SIZE = 8 * 1024 * 1024;
    /** The largest object one {@code CopyObject} copies, and the largest range one {@code UploadPartCopy} copies. */
    private static final long MAX_COPY = 5L * 1024 * 1024 * 1024;
    /** The ranges of a blob larger than {@link #MAX_COPY} that hide and restore copy as parts. */
    private static final long COPY_PART = 1024L * 1024 * 1024;
    /** Server-side part copies of one commit run side by side, this many at once. */
    private static final int PARALLEL_COPIES = 8;
    /** A quarter of the heap at most for part buffers, and at least two, so that an upload can always progress. */
    private static final BufferPool<byte[]> PARTS = new BufferPool<>(() -> new byte[PART_SIZE], 2,
            (int) Math.max(2, Runtime.getRuntime().maxMemory() / 4 / PART_SIZE));
    /**
     * Connections to S3 at once: a blob being pulled holds one for as long as its client reads, so the SDK's default
     * of 50 would make the 51st concurrent pull wait.
     */
    private static final int MAX_CONNECTIONS = 500;
    private static final String PART = "part-";
    /** The object a resumable upload starts with, so that expiry finds it even while it holds no bytes. */
    private static final String STARTED = "started";
    /** Names the multipart upload a commit is assembling, so that a crash mid-commit leaves nothing expiry misses. */
    private static final String COMMIT = "commit";

    /**
     * Uploads finished within their own request (not resumable), created by this process and not written yet: no
     * other node can know them, so they have no parts to look for.
     */
    private final Set<String> unwritten = ConcurrentHashMap.newKeySet();
    /**
     * The bytes of such uploads that fit in one part, held in their part buffer from the write to the commit, which
     * puts them at the blob's key with one request: no part to write, copy and delete.
     */
    private final Map<String, Held> held = new ConcurrentHashMap<>();

    private record Held(byte[] buffer, int length) {
    }

    private final S3Client s3;
    private final S3Presigner presigner;
    private final Duration redirect;
    private final String bucket;
    private final String prefix;
    private final StorageClass storageClass;

    /** A store on a client of its own, built from {@code settings}; closing the store closes the client. */
    public static S3BlobStore open(S3Settings settings) {
        if ((settings.accessKey() == null) != (settings.secretKey() == null)) {
            throw new IllegalArgumentException("storage.accessKey and storage.secretKey (or BERTH_STORAGE_ACCESS_KEY "
                    + "and BERTH_STORAGE_SECRET_KEY) go together: set both, or neither for the default credentials");
        }
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(MAX_CONNECTIONS))
                .forcePathStyle(settings.pathStyle());
        if (settings.region() != null) {
            builder.region(Region.of(settings.region()));
        } else if (settings.endpoint() != null) {
            builder.region(Region.US_EAST_1);
        }
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        if (settings.accessKey() != null) {
            builder.credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
        }
        S3Client client;
        S3Presigner presigner = null;
        try {
            client = builder.build();
            if (settings.redirect() != null) {
                // The same region, endpoint, addressing and credentials as the client's, so that the URLs name the
                // objects the client writes.
                S3Presigner.Builder presign = S3Presigner.builder()
                        .region(client.serviceClientConfiguration().region())
                        .credentialsProvider(client.serviceClientConfiguration().credentialsProvider())
                        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle())
                                .build());
                if (settings.endpoint() != null) {
                    presign.endpointOverride(settings.endpoint());
                }
                presigner = presign.build();
            }
        } catch (SdkException e) {
            throw new IllegalArgumentException("cannot set up the S3 client for " + settings.describe() + ": "
                    + e.getMessage() + " (set storage.region?)", e);
        }
        return new S3BlobStore(client, presigner, settings.redirect(), settings.bucket(), settings.prefix(),
                settings.storageClass() == null ? null : StorageClass.fromValue(settings.storageClass()));
    }

    /**
     * @param presigner    makes the URLs downloads are redirected to; null to send the bytes through Berth
     * @param redirect     how long those URLs stay valid
     * @param prefix       empty, or ends with {@code /}
     * @param storageClass of blobs; null for the bucket's default
     */
    public S3BlobStore(S3Client s3, S3Presigner presigner, Duration redirect, String bucket, String prefix,
                       StorageClass storageClass) {
        this.s3 = s3;
        this.presigner = presigner;
        this.redirect = redirect;
        this.bucket = bucket;
        this.prefix = prefix;
        this.storageClass = storageClass;
    }

    /** Fails unless the bucket can be reached with these credentials: for startup, and for readiness checks. */
    @Override
    public void check() throws IOException {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            // A HEAD answer has no body, so the SDK's message holds only the status: say what it means here.
            switch (e.statusCode()) {
                case 404 -> throw new IOException("the bucket does not exist", e);
                case 400, 401, 403 -> throw new IOException("access denied (status " + e.statusCode()
                        + "): check the credentials, the region and the bucket's permissions", e);
                default -> throw failure(e);
            }
        } catch (SdkException e) {
            throw failure(e);
        }
    }

    // ---- blobs

    @Override
    public Optional<BlobContent> open(Digest digest) throws IOException {
        String key = blobKey(digest);
        return head(key).map(head -> new S3Blob(key, head.contentLength()));
    }

    /** Without a {@code HeadObject}: a pull of a blob is then one request to S3, its {@code GetObject}. */
    @Override
    public Optional<BlobContent> openStored(Digest digest, long size) {
        return Optional.of(new S3Blob(blobKey(digest), size));
    }

    /** A blob's object, read with ranged GETs: only what a reader asks for crosses the network. */
    private final class S3Blob implements BlobContent {
        private final String key;
        private final long size;

        S3Blob(String key, long size) {
            this.key = key;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public InputStream open(long offset, long length) throws IOException {
            // The whole object is asked for as such, without a Range header for the store to parse and check.
            return offset == 0 && length == size ? range(key, 0, -1) : range(key, offset, length);
        }

        @Override
        public Optional<URI> directUrl() throws IOException {
            if (presigner == null) {
                return Optional.empty();
            }
            try {
                // Signed here, without a request to S3: a URL for an object that went meanwhile answers 404 there.
                return Optional.of(presigner.presignGetObject(b -> b.signatureDuration(redirect)
                        .getObjectRequest(get -> get.bucket(bucket).key(key))).url().toURI());
            } catch (SdkException e) {
                throw failure(e);
            } catch (URISyntaxException e) {
                throw new IOException("presigned URL of " + key + " is no URI", e);
            }
        }
    }

    @Override
    public void delete(Digest digest) throws IOException {
        call(() -> s3.deleteObject(b -> b.bucket(bucket).key(blobKey(digest))));
    }

    // ---- uploads

    @Override
    public void createUpload(String uploadId, boolean resumable) throws IOException {
        if (resumable) {
            call(() -> s3.putObject(b -> b.bucket(bucket).key(uploadKey(uploadId) + STARTED), RequestBody.empty()));
        } else {
            // An upload finished within its request needs no trace until it has bytes: its parts are the trace.
            unwritten.add(uploadId);
        }
    }

    @Override
    public long writeUpload(String uploadId, long offset, InputStream data, BufferRelay.Consumer observer)
            throws IOException {
        boolean fresh = unwritten.remove(uploadId) && offset == 0;
        sendHeld(uploadId);
        List<Part> parts = fresh ? List.of() : parts(uploadId);
        long stored = contiguousLength(parts);
        if (stored < offset) {
            throw new IOException("upload " + uploadId + " holds " + stored + " bytes, expected " + offset);
        }
        // The part that the new bytes continue, when it must be written again: a last part too small to stay in the
        // middle, or one holding bytes past the offset that a failed write left.
        Part continued = null;
        List<String> stale = new ArrayList<>();
        for (Part part : parts) {
            if (part.end() < offset || (part.end() == offset && part.size() >= MIN_PART)) {
                continue; // stays as it is
            }
            if (part.start() < offset) {
                continued = part;
            } else {
                stale.add(part.key()); // bytes past the offset, never acknowledged
            }
        }
        deleteKeys(stale);

        try (PartWriter writer = new PartWriter(uploadId)) {
            byte[] buffer = writer.buffer();
            long partStart = offset;
            int filled = 0;
            if (continued != null) {
                partStart = continued.start();
                filled = (int) (offset - continued.start());
                try (InputStream in = range(continued.key(), 0, filled)) {
                    if (in.readNBytes(buffer, 0, filled) != filled) {
                        throw new IOException("part " + continued.key() + " ended before " + filled + " bytes");
                    }
                }
            }
            long written = offset;
            byte[] chunk = BufferPool.BODIES.take();
            try {
                int read;
                while ((read = data.read(chunk, 0, Math.min(chunk.length, PART_SIZE - filled))) >= 0) {
                    if (read == 0) {
                        continue;
                    }
                    observer.accept(chunk, read);
                    System.arraycopy(chunk, 0, buffer, filled, read);
                    filled += read;
                    written += read;
                    if (filled == PART_SIZE) {
                        buffer = writer.send(partStart, buffer, filled);
                        partStart += filled;
                        filled = 0;
                    }
                }
            } finally {
                BufferPool.BODIES.give(chunk);
            }
            if (fresh && partStart == 0) { // the whole upload is in this buffer: it waits for the commit
                held.put(uploadId, new Held(writer.keep(buffer), filled));
                return written;
            }
            if (filled > 0 && written > offset) { // else the buffer holds only the bytes of the part continued
                writer.send(partStart, buffer, filled);
            }
            writer.finish();
            return written;
        }
    }

    /**
     * Writes an upload's parts in order, each once it is full. When the pool can spare a second buffer, a part is
     * sent on a thread of its own while the next one fills from the request, so that receiving (and hashing) and
     * sending overlap; otherwise each part is sent before the next one fills. One part at most is on its way.
     */
    private final class PartWriter implements AutoCloseable {
        private final String uploadId;
        private final List<byte[]> taken = new ArrayList<>();
        /** The buffer free once the part on its way has been sent; null when parts are sent inline. */
        private byte[] spare;
        private Thread sending;
        private volatile IOException failure;

        PartWriter(String uploadId) throws IOException {
            this.uploadId = uploadId;
            taken.add(PARTS.take());
            List<byte[]> second = PARTS.tryTake(1);
            taken.addAll(second);
            spare = second.isEmpty() ? null : second.getFirst();
        }

        /** The buffer to fill first. */
        byte[] buffer() {
            return taken.getFirst();
        }

        /** Sends {@code length} bytes of {@code full} as the part at {@code start}; returns the buffer to fill next. */
        byte[] send(long start, byte[] full, int length) throws IOException {
            if (spare == null) {
                putPart(uploadId, start, full, length);
                return full;
            }
            awaitSent();
            byte[] next = spare;
            spare = full;
            sending = Thread.ofVirtual().name("berth-s3-part").start(() -> {
                try {
                    putPart(uploadId, start, full, length);
                } catch (IOException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    failure = new IOException("writing part " + start + " of upload " + uploadId + " failed", e);
                }
            });
            return next;
        }

        /** Waits until every part sent is stored; rethrows a failure to store one. */
        void finish() throws IOException {
            awaitSent();
        }

        private void awaitSent() throws IOException {
            if (sending != null) {
                BufferRelay.joinUninterruptibly(sending);
                sending = null;
            }
            IOException failed = failure;
            if (failed != null) {
                throw failed;
            }
        }

        /** Takes {@code buffer} out of the writer's hands: the caller gives it back to the pool. */
        byte[] keep(byte[] buffer) {
            taken.remove(buffer);
            return buffer;
        }

        /** Gives the buffers back, once no part is on its way from them. */
        @Override
        public void close() {
            if (sending != null) {
                BufferRelay.joinUninterruptibly(sending);
            }
            taken.forEach(PARTS::give);
        }
    }

    /** Writes the held bytes of an upload as its first part, for an upload that goes on as others do. */
    private void sendHeld(String uploadId) throws IOException {
        Held bytes = held.get(uploadId);
        if (bytes != null) {
            putPart(uploadId, 0, bytes.buffer(), bytes.length());
            release(uploadId);
        }
    }

    /** Forgets the held bytes of an upload and gives their buffer back; whether there were any. */
    private boolean release(String uploadId) {
        Held bytes = held.remove(uploadId);
        if (bytes == null) {
            return false;
        }
        PARTS.give(bytes.buffer());
        return true;
    }

    private void putPart(String uploadId, long start, byte[] bytes, int length) throws IOException {
        call(() -> s3.putObject(b -> b.bucket(bucket).key(partKey(uploadId, start)).contentLength((long) length),
                RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes, 0, length), length,
                        "application/octet-stream")));
    }

    @Override
    public InputStream readUpload(String uploadId, long length) throws IOException {
        Held bytes = held.get(uploadId);
        if (bytes != null && length <= bytes.length()) {
            return new ByteArrayInputStream(bytes.buffer(), 0, (int) length);
        }
        List<Range> ranges = ranges(uploadId, length);
        return new RangesInputStream(ranges);
    }

    /** The ranges of parts that hold an upload's first {@code size} bytes, in order. */
    private List<Range> ranges(String uploadId, long size) throws IOException {
        return ranges(uploadId, parts(uploadId, new ArrayList<>()), size);
    }

    private static List<Range> ranges(String uploadId, List<Part> parts, long size) throws IOException {
        if (contiguousLength(parts) < size) {
            throw new IOException("upload " + uploadId + " holds " + contiguousLength(parts) + " bytes, expected "
                    + size);
        }
        List<Range> ranges = new ArrayList<>();
        for (Part part : parts) {
            if (part.start() >= size) {
                break;
            }
            ranges.add(new Range(part.key(), 0, Math.min(part.size(), size - part.start()), part.size()));
        }
        return ranges;
    }

    @Override
    public boolean commitUpload(String uploadId, long size, Digest digest) throws IOException {
        String target = blobKey(digest);
        Held bytes = held.get(uploadId);
        if (bytes != null && bytes.length() == size) {
            if (head(target).isPresent()) {
                return false; // the bytes stay held until the upload is deleted: a second commit may need them
            }
            call(() -> s3.putObject(b -> b.bucket(bucket).key(target).storageClass(storageClass)
                    .contentLength(size), RequestBody.fromContentProvider(
                    () -> new ByteArrayInputStream(bytes.buffer(), 0, bytes.length()), size,
                    "application/octet-stream")));
            release(uploadId);
            return true;
        }
        sendHeld(uploadId);
        List<String> keys = new ArrayList<>();
        List<Range> ranges = ranges(uploadId, parts(uploadId, keys), size);
        if (head(target).isPresent()) {
            return false;
        }
        if (ranges.isEmpty()) {
            call(() -> s3.putObject(b -> b.bucket(bucket).key(target).storageClass(storageClass),
                    RequestBody.empty()));
        } else if (ranges.size() == 1 && ranges.getFirst().whole()) {
            copyObject(ranges.getFirst().key(), target);
        } else {
            copyParts(ranges, target, uploadKey(uploadId) + COMMIT);
            keys.add(uploadKey(uploadId) + COMMIT);
        }
        try {
            // The multipart upload is complete: its record goes with the parts, with nothing to abort.
            deleteKeys(keys);
        } catch (IOException e) {
            // The blob is stored; the parts left behind have no session, and the expiry of upload data removes them.
            LOG.warn("could not remove the parts of upload {} after committing it; expiry removes them", uploadId, e);
        }
        return true;
    }

    @Override
    public List<String> uploadsWrittenBefore(Instant cutoff, int limit) throws IOException {
        String uploads = prefix + "uploads/";
        List<String> ids = new ArrayList<>();
        String current = null;
        Instant lastWritten = Instant.MIN;
        // Keys come sorted, so an upload's objects are listed one after another.
        for (S3Object object : list(uploads)) {
            String rest = object.key().substring(uploads.length());
            int slash = rest.indexOf('/');
            String id = slash < 0 ? rest : rest.substring(0, slash);
            if (!id.equals(current)) {
                if (current != null && lastWritten.isBefore(cutoff) && UPLOAD_ID.matcher(current).matches()) {
                    ids.add(current);
                    if (ids.size() >= limit) {
                        return ids;
                    }
                }
                current = id;
                lastWritten = Instant.MIN;
            }
            if (object.lastModified().isAfter(lastWritten)) {
                lastWritten = object.lastModified();
            }
        }
        if (current != null && lastWritten.isBefore(cutoff) && UPLOAD_ID.matcher(current).matches()) {
            ids.add(current);
        }
        return ids;
    }

    @Override
    public void deleteUpload(String uploadId) throws IOException {
        unwritten.remove(uploadId);
        if (release(uploadId)) {
            return; // its bytes never left this process
        }
        String directory = uploadKey(uploadId);
        List<String> keys = keys(directory);
        if (keys.contains(directory + COMMIT)) {
            abortCommit(directory + COMMIT);
        }
        deleteKeys(keys);
    }

    private List<String> keys(String keyPrefix) throws IOException {
        List<String> keys = new ArrayList<>();
        for (S3Object object : list(keyPrefix)) {
            keys.add(object.key());
        }
        return keys;
    }

    /** Aborts the multipart upload a commit's record names, if it is still there. */
    private void abortCommit(String record) throws IOException {
        String[] lines;
        try (InputStream in = range(record, 0, -1)) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return; // the commit finished meanwhile
            }
            throw e;
        }
        if (lines.length == 2) {
            try {
                call(() -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(lines[0]).uploadId(lines[1])));
            } catch (IOException e) {
                if (!(e.getCause() instanceof NoSuchUploadException)) {
                    throw e;
                }
            }
        }
    }

    // ---- garbage collection

    @Override
    public void hide(Digest digest) throws IOException {
        move(blobKey(digest), hiddenKey(digest));
    }

    @Override
    public void restore(Digest digest) throws IOException {
        String hidden = hiddenKey(digest);
        if (head(hidden).isEmpty()) {
            return;
        }
        if (head(blobKey(digest)).isPresent()) {
            call(() -> s3.deleteObject(b -> b.bucket(bucket).key(hidden)));
            return;
        }
        move(hidden, blobKey(digest));
    }

    @Override
    public void purge(Digest digest) throws IOException {
        call(() -> s3.deleteObject(b -> b.bucket(bucket).key(hiddenKey(digest))));
    }

    @Override
    public List<Digest> hidden() throws IOException {
        String trash = prefix + "trash/";
        List<Digest> digests = new ArrayList<>();
        for (S3Object object : list(trash)) {
            String name = object.key().substring(trash.length());
            int slash = name.indexOf('/');
            if (slash > 0) {
                try {
                    digests.add(Digest.parse(name.substring(0, slash) + ":" + name.substring(slash + 1)));
                } catch (InvalidDigestException e) {
                    // not ours
                }
            }
        }
        return digests;
    }

    /**
     * S3 has no rename: a copy, then a delete of the source. A crash in between leaves both, which wastes space but
     * loses nothing; an absent source is ignored.
     */
    private void move(String from, String to) throws IOException {
        Optional<HeadObjectResponse> source = head(from);
        if (source.isEmpty()) {
            return;
        }
        long size = source.get().contentLength();
        if (size <= MAX_COPY) {
            copyObject(from, to);
        } else {
            List<Range> ranges = new ArrayList<>();
            for (long start = 0; start < size; start += COPY_PART) {
                ranges.add(new Range(from, start, Math.min(COPY_PART, size - start), size));
            }
            copyParts(ranges, to, null);
        }
        call(() -> s3.deleteObject(b -> b.bucket(bucket).key(from)));
    }

    @Override
    public void close() {
        s3.close();
        if (presigner != null) {
            presigner.close();
        }
    }

    // ---- S3 operations

    /** A piece of an object: {@code length} bytes from {@code offset}, of an object of {@code objectSize}. */
    private record Range(String key, long offset, long length, long objectSize) {
        boolean whole() {
            return offset == 0 && length == objectSize;
        }
    }

    /** An object of an upload: its bytes from {@code start}. */
    private record Part(String key, long start, long size) {
        long end() {
            return start + size;
        }
    }

    /** An upload's parts, by offset. */
    private List<Part> parts(String uploadId) throws IOException {
        return parts(uploadId, new ArrayList<>());
    }

    /** An upload's parts, by offset, from one listing of its objects, whose every key goes to {@code keys}. */
    private List<Part> parts(String uploadId, List<String> keys) throws IOException {
        String partPrefix = uploadKey(uploadId) + PART;
        List<Part> parts = new ArrayList<>();
        for (S3Object object : list(uploadKey(uploadId))) {
            keys.add(object.key());
            if (!object.key().startsWith(partPrefix)) {
                continue;
            }
            try {
                parts.add(new Part(object.key(), Long.parseLong(object.key().substring(partPrefix.length())),
                        object.size()));
            } catch (NumberFormatException e) {
                // not ours
            }
        }
        return parts; // zero-padded offsets: listed in order
    }

    /** How many bytes from the start the parts hold without a gap. */
    private static long contiguousLength(List<Part> parts) {
        long end = 0;
        for (Part part : parts) {
            if (part.start() > end) {
                break;
            }
            end = Math.max(end, part.end());
        }
        return end;
    }

    private void copyObject(String from, String to) throws IOException {
        call(() -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket)
                .destinationKey(to).storageClass(storageClass)));
    }

    /**
     * Assembles {@code ranges} into the object {@code target} with a multipart upload of server-side part copies;
     * the object appears, whole, when S3 completes it. The multipart upload's id is written to {@code record} (when
     * not null) first, so that an upload's expiry can abort it after a crash.
     */
    private void copyParts(List<Range> ranges, String target, String record) throws IOException {
        String multipart = call(() -> s3.createMultipartUpload(b -> b.bucket(bucket).key(target)
                .storageClass(storageClass))).uploadId();
        try {
            if (record != null) {
                byte[] names = (target + "\n" + multipart).getBytes(StandardCharsets.UTF_8);
                call(() -> s3.putObject(b -> b.bucket(bucket).key(record), RequestBody.fromBytes(names)));
            }
            List<CompletedPart> parts = new ArrayList<>();
            try (ExecutorService copies = Executors.newFixedThreadPool(Math.min(PARALLEL_COPIES, ranges.size()),
                    Thread.ofVirtual().name("berth-s3-copy").factory())) {
                List<Future<CompletedPart>> pending = new ArrayList<>();
                for (int i = 0; i < ranges.size(); i++) {
                    Range range = ranges.get(i);
                    int number = i + 1;
                    pending.add(copies.submit(() -> copyPart(target, multipart, number, range)));
                }
                for (Future<CompletedPart> part : pending) {
                    parts.add(part.get());
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException("copying a part failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while copying parts to " + target);
            }
            call(() -> s3.completeMultipartUpload(b -> b.bucket(bucket).key(target).uploadId(multipart)
                    .multipartUpload(m -> m.parts(parts))));
        } catch (IOException | RuntimeException e) {
            try {
                call(() -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(target).uploadId(multipart)));
            } catch (IOException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
    }

    private CompletedPart copyPart(String target, String multipart, int number, Range range) throws IOException {
        String etag = call(() -> s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(range.key())
                .copySourceRange("bytes=" + range.offset() + "-" + (range.offset() + range.length() - 1))
                .destinationBucket(bucket).destinationKey(target).uploadId(multipart).partNumber(number)))
                .copyPartResult().eTag();
        return CompletedPart.builder().partNumber(number).eTag(etag).build();
    }

    private Optional<HeadObjectResponse> head(String key) throws IOException {
        try {
            return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure(e);
        } catch (SdkException e) {
            throw failure(e);
        }
    }

    /**
     * {@code length} bytes of an object from {@code offset}, streamed; a negative length reads to the end. A missing
     * object is a {@link NoSuchKeyException} in the cause of the IOException.
     */
    private InputStream range(String key, long offset, long length) throws IOException {
        if (length == 0) {
            return InputStream.nullInputStream(); // an empty range cannot be asked for
        }
        String range = length < 0 ? null : "bytes=" + offset + "-" + (offset + length - 1);
        return new ObjectInputStream(call(() -> s3.getObject(b -> b.bucket(bucket).key(key).range(range))));
    }

    /** Every object whose key starts with {@code keyPrefix}, in key order. */
    private Iterable<S3Object> list(String keyPrefix) throws IOException {
        List<S3Object> objects = new ArrayList<>();
        try {
            s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(keyPrefix).build())
                    .contents().forEach(objects::add);
        } catch (SdkException e) {
            throw failure(e);
        }
        return objects;
    }

    private void deleteKeys(List<String> keys) throws IOException {
        for (int from = 0; from < keys.size(); from += 1000) { // S3 deletes at most 1,000 keys per request
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + 1000)).stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build()).toList();
            var response = call(() -> s3.deleteObjects(b -> b.bucket(bucket)
                    .delete(Delete.builder().objects(batch).quiet(true).build())));
            if (response.hasErrors() && !response.errors().isEmpty()) {
                throw new IOException("could not delete " + response.errors().getFirst().key() + ": "
                        + response.errors().getFirst().message());
            }
        }
    }

    private interface S3Call<T> {
        T run();
    }

    /** Runs a request, turning the SDK's unchecked failures into the IOExceptions of a store. */
    private static <T> T call(S3Call<T> request) throws IOException {
        try {
            return request.run();
        } catch (SdkException e) {
            throw failure(e);
        }
    }

    /**
     * A failed request as an IOException: one that is S3's or the network's ({@code StorageUnavailableException}),
     * expected to pass, or one that is not (a refusal, such as missing permissions).
     */
    private static IOException failure(SdkException e) {
        String message = "S3: " + e.getMessage();
        boolean passing = e instanceof SdkClientException
                || (e instanceof S3Exception s3 && (s3.statusCode() >= 500 || s3.statusCode() == 429));
        return passing ? new StorageUnavailableException(message, e) : new IOException(message, e);
    }

    // ---- keys

    private String blobKey(Digest digest) {
        // A Digest holds only a known algorithm name and lower-case hex: nothing that could escape the prefix.
        return prefix + "blobs/" + digest.algorithm().prefix() + "/" + digest.hex();
    }

    private String hiddenKey(Digest digest) {
        return prefix + "trash/" + digest.algorithm().prefix() + "/" + digest.hex();
    }

    private String uploadKey(String uploadId) {
        if (!UPLOAD_ID.matcher(uploadId).matches()) {
            throw new IllegalArgumentException("invalid upload id");
        }
        return prefix + "uploads/" + uploadId + "/";
    }

    /** Zero-padded, so that listing the parts by key lists them by offset. */
    private String partKey(String uploadId, long start) {
        return uploadKey(uploadId) + PART + String.format("%019d", start);
    }

    /** A stream that reads in bulk: a single byte is read as a bulk read of one. */
    private abstract static class BulkInputStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** An object's body; reading errors of the SDK as IOExceptions, and closing before the end without draining. */
    private static final class ObjectInputStream extends BulkInputStream {
        private final ResponseInputStream<GetObjectResponse> in;
        private boolean ended;

        ObjectInputStream(ResponseInputStream<GetObjectResponse> in) {
            this.in = in;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            try {
                int n = in.read(b, off, len);
                if (n < 0) {
                    ended = true;
                }
                return n;
            } catch (SdkException e) {
                throw failure(e);
            }
        }

        @Override
        public void close() throws IOException {
            if (!ended) {
                // Closing would read the rest of the body to reuse the connection: a reader that stops early (a
                // client gone mid-pull) would make Berth download the rest of a large blob for nothing.
                in.abort();
            }
            try {
                in.close();
            } catch (SdkException e) {
                throw failure(e);
            }
        }
    }

    /** The ranges of several objects read one after another, each object opened when reading reaches it. */
    private final class RangesInputStream extends BulkInputStream {
        private final List<Range> ranges;
        private int next;
        private InputStream current = InputStream.nullInputStream();

        RangesInputStream(List<Range> ranges) {
            this.ranges = ranges;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (true) {
                int n = current.read(b, off, len);
                if (n >= 0) {
                    return n;
                }
                if (next == ranges.size()) {
                    return -1;
                }
                current.close();
                Range range = ranges.get(next++);
                current = range(range.key(), range.offset(), range.length());
            }
        }

        @Override
        public void close() throws IOException {
            current.close();
        }
    }
}
