package io.berth.client;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ImageIndexWriter;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One repository of a registry: its manifests, blobs, tags and referrers. Every blob read is checked against its
 * digest; uploads and downloads cut partway resume where they stopped.
 */
public final class Repository {
    /** What this client accepts for a manifest: every manifest and index type it can parse. */
    static final String ACCEPT = String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX,
            MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST);
    private static final int MAX_MANIFEST = 4 << 20;
    /** Blobs up to this size go in the upload's closing PUT; larger ones in PATCHes that can resume. */
    private static final long MONOLITHIC_LIMIT = 1 << 20;
    private static final int BUFFER = 1 << 20;

    private final RegistryClient client;
    private final Transport transport;
    private final String name;
    private final long chunkSize;
    private final List<String> pull;
    private final List<String> push;

    Repository(RegistryClient client, Transport transport, String name, long chunkSize) {
        this.client = client;
        this.transport = transport;
        this.name = name;
        this.chunkSize = chunkSize;
        this.pull = List.of("repository:" + name + ":pull");
        this.push = List.of("repository:" + name + ":pull,push");
    }

    public String name() {
        return name;
    }

    public RegistryClient registry() {
        return client;
    }

    // ---- manifests

    /** Pulls a manifest by tag or digest; its bytes are checked against the digest asked for or announced. */
    public PulledManifest pullManifest(String reference) throws IOException {
        HttpResponse<InputStream> response = send("GET", "manifests/" + reference, pull,
                Map.of("Accept", ACCEPT), null, true);
        if (response.statusCode() != 200) {
            throw Transport.error("GET " + name + " manifest " + reference, response);
        }
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = in.readNBytes(MAX_MANIFEST + 1);
        }
        if (bytes.length > MAX_MANIFEST) {
            throw new IOException("manifest " + name + ":" + reference + " is larger than " + MAX_MANIFEST + " bytes");
        }
        Digest expected = digestOrNull(reference);
        if (expected == null) {
            expected = response.headers().firstValue("Docker-Content-Digest").map(Repository::digestOrNull)
                    .orElse(null);
        }
        Digest actual = expected == null ? Digest.sha256(bytes) : Digest.of(expected.algorithm(), bytes);
        if (expected != null && !expected.equals(actual)) {
            throw new IOException("manifest " + name + ":" + reference + " does not match its digest " + expected
                    + " (got " + actual + ")");
        }
        String mediaType = mediaType(response, bytes);
        return new PulledManifest(new Descriptor(mediaType, actual, bytes.length), bytes);
    }

    /** The descriptor of a manifest (HEAD), or empty when the repository does not hold it. */
    public Optional<Descriptor> resolve(String reference) throws IOException {
        HttpResponse<InputStream> response = send("HEAD", "manifests/" + reference, pull,
                Map.of("Accept", ACCEPT), null, true);
        Transport.discard(response);
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw Transport.error("HEAD " + name + " manifest " + reference, response);
        }
        Digest digest = response.headers().firstValue("Docker-Content-Digest").map(Repository::digestOrNull)
                .orElse(null);
        String type = response.headers().firstValue("Content-Type").map(Repository::withoutParameters).orElse(null);
        long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (digest == null || type == null || size < 0) {
            // A registry that leaves them out of HEAD answers (the spec only says SHOULD): read the manifest.
            return Optional.of(pullManifest(reference).descriptor());
        }
        return Optional.of(new Descriptor(type, digest, size));
    }

    /** Pushes a manifest under a tag or its digest. */
    public PushedManifest pushManifest(String reference, byte[] bytes, String mediaType) throws IOException {
        HttpResponse<InputStream> response = send("PUT", "manifests/" + reference, push,
                Map.of("Content-Type", mediaType), () -> HttpRequest.BodyPublishers.ofByteArray(bytes), true);
        if (response.statusCode() != 201) {
            throw Transport.error("PUT " + name + " manifest " + reference, response);
        }
        Transport.discard(response);
        Digest digest = Digest.sha256(bytes);
        boolean subject = response.headers().firstValue("OCI-Subject").isPresent();
        return new PushedManifest(new Descriptor(mediaType, digest, bytes.length), subject);
    }

    /**
     * Pushes a manifest that may name a {@code subject} (a signature, an SBOM, any artifact). When it does and the
     * registry did not answer {@code OCI-Subject}, the registry lacks the referrers API, so, as the distribution
     * spec asks of clients, the manifest is added to the subject's referrers tag schema index ({@code <alg>-<hex>}):
     * that index is pulled (or started empty when there is none), given a descriptor of the manifest with its
     * artifact type and annotations unless it lists it already, and pushed back under the tag.
     *
     * <p>The tag is read, changed and written without a condition (CNCF Distribution knows no {@code If-Match}), so
     * two clients adding referrers to the same subject at the same instant can lose one entry.
     *
     * @param reference the tag or digest to push under (referrers are usually pushed by their digest)
     * @throws IOException when the tag holds something other than an image index, which this will not overwrite
     */
    public PushedManifest pushReferrer(String reference, byte[] bytes, String mediaType) throws IOException {
        Manifest parsed = Manifest.parse(bytes, mediaType);
        PushedManifest pushed = pushManifest(reference, bytes, mediaType);
        if (parsed.subject() != null && !pushed.subjectProcessed()) {
            Descriptor entry = new Descriptor(mediaType, pushed.descriptor().digest(), bytes.length,
                    parsed.artifactType(), List.of(), parsed.annotations());
            addToReferrersTag(parsed.subject().digest(), entry);
        }
        return pushed;
    }

    private void addToReferrersTag(Digest subject, Descriptor entry) throws IOException {
        String tag = Referrers.tagFor(subject);
        List<Descriptor> entries = new ArrayList<>();
        try {
            PulledManifest current = pullManifest(tag);
            if (!MediaTypes.OCI_INDEX.equals(current.descriptor().mediaType())) {
                throw new IOException("the referrers tag " + name + ":" + tag + " holds a "
                        + current.descriptor().mediaType() + ", not an image index; it is left as it is");
            }
            entries.addAll(current.parsed().children());
        } catch (RegistryException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
        if (entries.stream().anyMatch(d -> d.digest().equals(entry.digest()))) {
            return;
        }
        entries.add(entry);
        pushManifest(tag, ImageIndexWriter.write(entries), MediaTypes.OCI_INDEX);
    }

    /** Deletes a manifest by digest, or a tag (registries that do not delete tags answer 400 or 405). */
    public void delete(String reference) throws IOException {
        HttpResponse<InputStream> response = send("DELETE", "manifests/" + reference,
                List.of("repository:" + name + ":delete"), Map.of(), null, true);
        if (response.statusCode() != 202 && response.statusCode() != 200) {
            throw Transport.error("DELETE " + name + " manifest " + reference, response);
        }
        Transport.discard(response);
    }

    // ---- blobs

    public boolean hasBlob(Digest digest) throws IOException {
        HttpResponse<InputStream> response = send("HEAD", "blobs/" + digest, pull, Map.of(), null, true);
        Transport.discard(response);
        if (response.statusCode() == 404) {
            return false;
        }
        if (response.statusCode() != 200) {
            throw Transport.error("HEAD " + name + " blob " + digest, response);
        }
        return true;
    }

    /** The whole blob in memory: for configs and other small blobs, checked against its digest. */
    public byte[] pullBlobBytes(Descriptor blob) throws IOException {
        if (blob.size() > MAX_MANIFEST) {
            throw new IOException("blob " + blob.digest() + " is too large to read into memory");
        }
        try (InputStream in = openBlob(blob, 0)) {
            return in.readAllBytes();
        }
    }

    /**
     * Streams a blob from {@code offset}. The stream resumes with a range request when the connection breaks, and,
     * when read from the start, fails at its end unless the bytes match the blob's digest and size.
     */
    public InputStream openBlob(Descriptor blob, long offset) throws IOException {
        return new BlobStream(blob, offset, offset == 0);
    }

    /**
     * Streams a blob from {@code offset}, resuming as {@link #openBlob} does, without computing its digest: for bytes
     * on their way to a registry, which checks the digest itself before it accepts them (a copy).
     */
    public InputStream relayBlob(Descriptor blob, long offset) throws IOException {
        return new BlobStream(blob, offset, false);
    }

    /**
     * Downloads a blob into {@code target} (through a {@code .partial} file beside it, renamed when the digest
     * checks), resuming with range requests when the connection breaks.
     */
    public void pullBlob(Descriptor blob, Path target, ProgressListener progress) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (BlobStream in = new BlobStream(blob, 0, true);
             FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[BUFFER];
            long done = 0;
            for (int n; (n = in.read(buffer)) > 0; ) {
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                done += n;
                progress.transferred(blob, done);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Mounts a blob from another repository of the same registry without sending it.
     *
     * @return false when the registry would not mount it (then nothing was started: push it instead)
     */
    public boolean mountBlob(Digest digest, String fromRepository) throws IOException {
        List<String> scopes = List.of("repository:" + name + ":pull,push", "repository:" + fromRepository + ":pull");
        HttpResponse<InputStream> response = send("POST", "blobs/uploads/?mount=" + encode(digest.toString())
                + "&from=" + encode(fromRepository), scopes, Map.of(), null, true);
        if (response.statusCode() == 201) {
            Transport.discard(response);
            return true;
        }
        if (response.statusCode() == 202) {
            Transport.discard(response);
            // The registry opened an upload instead; close it rather than leave it to expire.
            Optional<String> location = response.headers().firstValue("Location");
            if (location.isPresent()) {
                Transport.discard(transport.send(new Transport.Call("DELETE", location(location.get()), push,
                        Map.of(), null, false)));
            }
            return false;
        }
        throw Transport.error("POST " + name + " mount of " + digest, response);
    }

    /**
     * Uploads a blob: small ones in a single closing PUT, larger ones in PATCHes (one, or {@code chunkSize} each)
     * that resume from the registry's offset when the connection breaks. The registry checks the digest.
     */
    public void pushBlob(Descriptor blob, BlobSource source, ProgressListener progress) throws IOException {
        if (source.size() != blob.size()) {
            throw new IllegalArgumentException("the source has " + source.size() + " bytes, the descriptor says "
                    + blob.size());
        }
        IOException last = null;
        for (int session = 0; session < 3; session++) {
            URI location = startUpload(blob);
            try {
                if (blob.size() <= MONOLITHIC_LIMIT && chunkSize == 0) {
                    finish(blob, location, source, progress);
                } else {
                    location = sendChunks(blob, location, source, progress);
                    finish(blob, location, null, progress);
                }
                return;
            } catch (UploadLost e) {
                last = e;
            }
        }
        throw last;
    }

    /** The registry forgot or refused the upload session partway; a new session starts from the beginning. */
    private static final class UploadLost extends IOException {
        UploadLost(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private URI startUpload(Descriptor blob) throws IOException {
        HttpResponse<InputStream> response = send("POST", "blobs/uploads/", push, Map.of(), null, true);
        if (response.statusCode() != 202) {
            throw Transport.error("POST " + name + " upload of " + blob.digest(), response);
        }
        Transport.discard(response);
        return location(response.headers().firstValue("Location")
                .orElseThrow(() -> new IOException("the registry started an upload without a Location")));
    }

    private URI sendChunks(Descriptor blob, URI location, BlobSource source, ProgressListener progress)
            throws IOException {
        long offset = 0;
        int failures = 0;
        while (offset < blob.size()) {
            long start = offset;
            long length = chunkSize > 0 ? Math.min(chunkSize, blob.size() - start) : blob.size() - start;
            Map<String, String> headers = Map.of("Content-Type", "application/octet-stream",
                    "Content-Range", start + "-" + (start + length - 1));
            HttpResponse<InputStream> response;
            try {
                response = transport.send(new Transport.Call("PATCH", location, push, headers,
                        () -> body(source, start, length, blob, progress), false));
            } catch (IOException e) {
                if (e instanceof java.io.InterruptedIOException || ++failures >= 5) {
                    throw e;
                }
                offset = uploadedSoFar(location, e);
                continue;
            }
            if (response.statusCode() == 416 || response.statusCode() == 404) {
                Transport.discard(response);
                throw new UploadLost("the registry lost the upload of " + blob.digest(), null);
            }
            if (response.statusCode() != 202) {
                throw Transport.error("PATCH " + name + " upload of " + blob.digest(), response);
            }
            Transport.discard(response);
            location = response.headers().firstValue("Location").map(this::location).orElse(location);
            offset = start + length;
            failures = 0;
        }
        return location;
    }

    /** Asks the registry how much of an upload it holds ({@code Range: 0-<last>}), after a cut PATCH. */
    private long uploadedSoFar(URI location, IOException cause) throws IOException {
        HttpResponse<InputStream> response = transport.send(new Transport.Call("GET", location, push, Map.of(),
                null, true));
        Transport.discard(response);
        if (response.statusCode() != 204) {
            throw new UploadLost("the upload was cut and the registry no longer knows it", cause);
        }
        String range = response.headers().firstValue("Range").orElse("0-0");
        int dash = range.indexOf('-');
        try {
            long end = Long.parseLong(range.substring(dash + 1).trim());
            // "0-0" is how registries say "nothing yet" as well as "one byte": resending one byte is harmless only
            // if they agree, and they answer 416 otherwise, which starts a new session.
            return end == 0 ? 0 : end + 1;
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new UploadLost("the registry answered an unreadable upload range: " + range, cause);
        }
    }

    private void finish(Descriptor blob, URI location, BlobSource source, ProgressListener progress)
            throws IOException {
        URI closing = URI.create(location + (location.getRawQuery() == null ? "?" : "&") + "digest="
                + encode(blob.digest().toString()));
        Map<String, String> headers = source == null ? Map.of()
                : Map.of("Content-Type", "application/octet-stream");
        HttpResponse<InputStream> response = transport.send(new Transport.Call("PUT", closing, push, headers,
                source == null ? null : () -> body(source, 0, blob.size(), blob, progress), source != null));
        if (response.statusCode() == 404 || response.statusCode() == 416) {
            Transport.discard(response);
            throw new UploadLost("the registry lost the upload of " + blob.digest(), null);
        }
        if (response.statusCode() != 201) {
            throw Transport.error("PUT " + name + " upload of " + blob.digest(), response);
        }
        Transport.discard(response);
        progress.transferred(blob, blob.size());
    }

    private static HttpRequest.BodyPublisher body(BlobSource source, long offset, long length, Descriptor blob,
                                                  ProgressListener progress) {
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                return new Counting(new BoundedInputStream(source.open(offset), length), blob, offset, progress);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), length);
    }

    // ---- tags and referrers

    /** One page of the tag list; {@code last} null for the first, {@code n} 0 for the registry's page size. */
    public Page tags(int n, String last) throws IOException {
        return Listing.page(transport, "v2/" + name + "/tags/list", "tags", pull, n, last);
    }

    /** Every tag, page after page. */
    public List<String> tags() throws IOException {
        List<String> all = new ArrayList<>();
        for (Page page = tags(0, null); ; page = tags(0, page.next())) {
            all.addAll(page.items());
            if (page.next() == null) {
                return all;
            }
        }
    }

    /**
     * The manifests that name {@code subject} as their subject, of {@code artifactType} (null for all): from the
     * referrers API, or, when the registry lacks it (404), from the referrers tag schema's index
     * ({@code <alg>-<hex>} tag).
     */
    public Referrers referrers(Digest subject, String artifactType) throws IOException {
        String path = "referrers/" + subject + (artifactType == null ? "" : "?artifactType=" + encode(artifactType));
        HttpResponse<InputStream> response = send("GET", path, pull, Map.of("Accept", MediaTypes.OCI_INDEX), null,
                true);
        if (response.statusCode() == 404) {
            Transport.discard(response);
            List<Descriptor> tagged = referrersTag(subject).map(Referrers::fromIndex).orElse(List.of());
            return new Referrers(filter(tagged, artifactType), false);
        }
        if (response.statusCode() != 200) {
            throw Transport.error("GET " + name + " referrers of " + subject, response);
        }
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = in.readNBytes(MAX_MANIFEST);
        }
        List<Descriptor> all = Referrers.fromIndex(bytes);
        boolean filtered = response.headers().firstValue("OCI-Filters-Applied").orElse("").contains("artifactType");
        return new Referrers(filtered ? all : filter(all, artifactType), true);
    }

    /** The referrers tag schema's index for {@code subject}, when there is one. */
    public Optional<byte[]> referrersTag(Digest subject) throws IOException {
        String tag = Referrers.tagFor(subject);
        HttpResponse<InputStream> response = send("GET", "manifests/" + tag, pull,
                Map.of("Accept", MediaTypes.OCI_INDEX), null, true);
        if (response.statusCode() == 404) {
            Transport.discard(response);
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw Transport.error("GET " + name + " manifest " + tag, response);
        }
        try (InputStream in = response.body()) {
            return Optional.of(in.readNBytes(MAX_MANIFEST));
        }
    }

    private static List<Descriptor> filter(List<Descriptor> referrers, String artifactType) {
        return artifactType == null ? referrers
                : referrers.stream().filter(d -> artifactType.equals(d.artifactType())).toList();
    }

    // ---- plumbing

    private HttpResponse<InputStream> send(String method, String path, List<String> scopes,
                                           Map<String, String> headers,
                                           java.util.function.Supplier<HttpRequest.BodyPublisher> body,
                                           boolean retryable) throws IOException {
        URI uri = transport.uri("v2/" + name + "/" + path);
        return transport.send(new Transport.Call(method, uri, scopes, headers, body, retryable));
    }

    private URI location(String location) {
        return transport.base().resolve(location);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static Digest digestOrNull(String text) {
        try {
            return Digest.parse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String withoutParameters(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    }

    private static String mediaType(HttpResponse<InputStream> response, byte[] bytes) {
        String header = response.headers().firstValue("Content-Type").map(Repository::withoutParameters).orElse("");
        if (MediaTypes.MANIFESTS.contains(header)) {
            return header;
        }
        try {
            JsonNode field = Transport.JSON.readTree(bytes).get("mediaType");
            if (field != null && field.isString()) {
                return field.asString();
            }
        } catch (JacksonException ignored) {
            // Not JSON: the header is all there is to go by.
        }
        return header.isEmpty() ? MediaTypes.OCI_MANIFEST : header;
    }

    /**
     * A blob's bytes from the registry, reopened with a {@code Range} request from where it broke when the connection
     * fails, and checked against the digest and size at the end when read from the start.
     */
    private final class BlobStream extends InputStream {
        private final Descriptor blob;
        private final MessageDigest digest;
        private long position;
        private InputStream current;
        private int failures;
        private boolean checked;

        BlobStream(Descriptor blob, long offset, boolean check) throws IOException {
            this.blob = blob;
            this.position = offset;
            this.digest = check ? blob.digest().algorithm().newMessageDigest() : null;
            this.current = open();
        }

        private InputStream open() throws IOException {
            Map<String, String> headers = position == 0 ? Map.of() : Map.of("Range", "bytes=" + position + "-");
            HttpResponse<InputStream> response = send("GET", "blobs/" + blob.digest(), pull, headers, null, true);
            int status = response.statusCode();
            if (status == 200 && position > 0) {
                // The registry ignored the range: skip what was already read.
                InputStream body = response.body();
                body.skipNBytes(position);
                return body;
            }
            if (status != 200 && status != 206) {
                throw Transport.error("GET " + name + " blob " + blob.digest(), response);
            }
            return response.body();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            while (true) {
                int n;
                try {
                    n = current.read(buffer, offset, length);
                } catch (IOException e) {
                    if (e instanceof java.io.InterruptedIOException || ++failures > 5) {
                        throw e;
                    }
                    closeQuietly();
                    current = open();
                    continue;
                }
                if (n < 0) {
                    if (position < blob.size() && failures++ < 5) {
                        // Ended early without an error: the connection closed. Continue from here.
                        closeQuietly();
                        current = open();
                        continue;
                    }
                    verify();
                    return -1;
                }
                position += n;
                if (position > blob.size()) {
                    throw new IOException("blob " + blob.digest() + " is longer than its " + blob.size() + " bytes");
                }
                if (digest != null) {
                    digest.update(buffer, offset, n);
                }
                if (position == blob.size()) {
                    // Checked with the last byte, not at the end of the stream: a reader may stop at the size.
                    verify();
                }
                return n;
            }
        }

        private void verify() throws IOException {
            if (checked) {
                return;
            }
            if (position != blob.size()) {
                throw new IOException("blob " + blob.digest() + " ended after " + position + " of " + blob.size()
                        + " bytes");
            }
            if (digest != null) {
                Digest actual = Digest.of(blob.digest().algorithm(), digest);
                if (!actual.equals(blob.digest())) {
                    throw new IOException("blob " + blob.digest() + " does not match its digest (got " + actual + ")");
                }
            }
            checked = true;
        }

        private void closeQuietly() {
            try {
                current.close();
            } catch (IOException ignored) {
                // Already broken; a new connection replaces it.
            }
        }

        @Override
        public void close() throws IOException {
            current.close();
        }
    }

    /** Tells the progress listener how far an upload's body has been read. */
    private static final class Counting extends FilterInputStream {
        private final Descriptor blob;
        private final ProgressListener progress;
        private long done;

        Counting(InputStream in, Descriptor blob, long start, ProgressListener progress) {
            super(in);
            this.blob = blob;
            this.done = start;
            this.progress = progress;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                done += n;
                progress.transferred(blob, done);
            }
            return n;
        }
    }
}
