package io.berth.client;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Copies an image (a manifest or an index, Docker or OCI) from one repository to another, on the same registry or
 * another one, byte for byte: every manifest keeps its digest. Blobs stream from the source to the target without
 * touching the disk, several at a time; the target is asked first whether it holds each one, and on the same
 * registry a blob is mounted rather than sent. Blobs go before the manifest that names them and an index's children
 * before the index, so the target never sees a manifest whose content it lacks.
 *
 * <p>With {@link Builder#platforms platforms} chosen, only those children of an index are copied. An index keeps
 * its digest only when every child is chosen; otherwise a new index is written listing the chosen entries, as
 * they were, and nothing else, like containers/image (skopeo, podman) with {@code StripSparseManifestList}. The
 * other choice, keeping the index unchanged over children the target lacks (its default), is refused by registries
 * that check an index's children, CNCF Distribution among them. The original index's referrers are not copied
 * then: they name a digest the target does not hold.
 *
 * <p>With {@link Builder#referrers referrers} on, the referrers of every manifest copied (signatures, SBOMs, …)
 * are copied too, and theirs in turn. They are pushed with {@link Repository#pushReferrer}, which keeps the
 * referrers tag schema up to date on a target without the referrers API.
 */
public final class ImageCopier {
    /**
     * Blobs in flight at once. Transfers are bound by the network and the registries, not the CPU: a few in
     * parallel hide each small blob's round trips (HEAD, POST, PUT), while large blobs gain little beyond four, as
     * they only split the same bandwidth, and many more crowd registries that limit connections per client. Six is
     * also containers/image's (skopeo's, podman's) default.
     */
    public static final int DEFAULT_CONCURRENCY = 6;
    private static final int MAX_REFERRER_DEPTH = 16;
    private static final int MAX_INDEX_DEPTH = 4;

    private final List<Platform> platforms;
    private final boolean referrers;
    private final int concurrency;
    private final ProgressListener progress;

    private ImageCopier(Builder builder) {
        this.platforms = List.copyOf(builder.platforms);
        this.referrers = builder.referrers;
        this.concurrency = builder.concurrency;
        this.progress = builder.progress;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A copier with the defaults: every platform, without referrers. */
    public static ImageCopier create() {
        return builder().build();
    }

    /**
     * Copies {@code sourceReference} (a tag or digest) of {@code source} to {@code target}, under
     * {@code targetReference}: a tag, the digest (which must then be the copied manifest's), or null to push it by
     * its digest only.
     */
    public CopyResult copy(Repository source, String sourceReference, Repository target, String targetReference)
            throws IOException {
        try (Run run = new Run(source, target)) {
            return run.copy(sourceReference, targetReference);
        }
    }

    /** A pulled manifest and what it says. */
    private record Node(PulledManifest pulled, Manifest parsed) {
        static Node of(PulledManifest pulled) {
            return new Node(pulled, pulled.parsed());
        }

        Digest digest() {
            return pulled.descriptor().digest();
        }
    }

    /** The manifests of one graph to push, children first, and every manifest digest it holds. */
    private record Graph(List<Node> toPush, List<Digest> all) {
    }

    /** One copy's state: the transfers in flight and what was done. */
    private final class Run implements AutoCloseable {
        private final Repository source;
        private final Repository target;
        private final boolean mountable;
        private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        private final Semaphore permits = new Semaphore(concurrency);
        private final Map<Digest, Future<?>> transfers = new ConcurrentHashMap<>();
        private final Set<Digest> referrersSeen = new HashSet<>();
        private final AtomicInteger copied = new AtomicInteger();
        private final AtomicInteger skipped = new AtomicInteger();
        private final AtomicInteger mounted = new AtomicInteger();
        private final AtomicLong bytes = new AtomicLong();
        private int manifestsPushed;
        private int referrersCopied;

        Run(Repository source, Repository target) {
            this.source = source;
            this.target = target;
            this.mountable = source.registry().registry().equals(target.registry().registry())
                    && !source.name().equals(target.name());
        }

        CopyResult copy(String sourceReference, String targetReference) throws IOException {
            PulledManifest original = source.pullManifest(sourceReference);
            PulledManifest chosen = choosePlatforms(original);
            String reference = targetReference == null ? chosen.descriptor().digest().toString() : targetReference;
            if (isDigest(reference) && !reference.equals(chosen.descriptor().digest().toString())) {
                throw new IllegalArgumentException("the copy's digest is " + chosen.descriptor().digest()
                        + ", not " + reference + " (a platform subset of an index is a new index)");
            }
            Graph graph = copyGraph(Node.of(chosen), reference);
            if (referrers) {
                for (Digest digest : graph.all()) {
                    copyReferrers(digest, 1);
                }
            }
            return new CopyResult(chosen.descriptor(), manifestsPushed, copied.get(), skipped.get(), mounted.get(),
                    bytes.get(), referrersCopied);
        }

        /** The index with only the chosen platforms' entries, or the manifest itself when nothing is left out. */
        private PulledManifest choosePlatforms(PulledManifest manifest) throws IOException {
            if (platforms.isEmpty() || !MediaTypes.isIndex(manifest.descriptor().mediaType())) {
                return manifest;
            }
            ObjectNode root = (ObjectNode) Transport.JSON.readTree(manifest.bytes());
            ArrayNode kept = root.arrayNode();
            JsonNode entries = root.path("manifests");
            for (JsonNode entry : entries) {
                String platform = Manifest.platform(entry);
                if (platform != null && platforms.stream().anyMatch(p -> p.matches(Platform.parse(platform)))) {
                    kept.add(entry);
                }
            }
            if (kept.isEmpty()) {
                throw new IOException("the index " + source.name() + "@" + manifest.descriptor().digest()
                        + " has no manifest for " + platforms);
            }
            if (kept.size() == entries.size()) {
                return manifest;
            }
            root.set("manifests", kept);
            byte[] bytes = Transport.JSON.writeValueAsBytes(root);
            return new PulledManifest(new Descriptor(manifest.descriptor().mediaType(), Digest.sha256(bytes),
                    bytes.length), bytes);
        }

        /**
         * Copies a manifest and everything under it: all their blobs (in parallel), then the manifests, children
         * first. Children the target already holds are not walked into.
         */
        private Graph copyGraph(Node top, String topReference) throws IOException {
            List<Node> toPush = new ArrayList<>();
            List<Digest> all = new ArrayList<>();
            Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
            collect(top, toPush, all, blobs, 0);
            List<Future<?>> pending = new ArrayList<>();
            for (Descriptor blob : blobs.values()) {
                pending.add(transfers.computeIfAbsent(blob.digest(), digest -> executor.submit(() -> {
                    transfer(blob);
                    return null;
                })));
            }
            awaitAll(pending);
            for (Node node : toPush) {
                String reference = node == top ? topReference : node.digest().toString();
                if (node.parsed().subject() != null) {
                    target.pushReferrer(reference, node.pulled().bytes(), node.pulled().descriptor().mediaType());
                } else {
                    target.pushManifest(reference, node.pulled().bytes(), node.pulled().descriptor().mediaType());
                }
                manifestsPushed++;
            }
            return new Graph(toPush, all);
        }

        private void collect(Node node, List<Node> toPush, List<Digest> all, Map<Digest, Descriptor> blobs,
                             int depth) throws IOException {
            all.add(node.digest());
            if (node.parsed().isIndex()) {
                if (depth >= MAX_INDEX_DEPTH) {
                    throw new IOException("indexes nest deeper than " + MAX_INDEX_DEPTH + " at " + node.digest());
                }
                for (Descriptor child : node.parsed().children()) {
                    if (!MediaTypes.MANIFESTS.contains(child.mediaType())) {
                        throw new IOException("the index " + node.digest() + " lists a " + child.mediaType()
                                + ", which is not a manifest this client copies");
                    }
                    if (target.resolve(child.digest().toString()).isPresent()) {
                        all.add(child.digest());
                        continue;
                    }
                    collect(Node.of(source.pullManifest(child.digest().toString())), toPush, all, blobs, depth + 1);
                }
            } else {
                List<Descriptor> content = new ArrayList<>();
                content.add(node.parsed().config());
                content.addAll(node.parsed().layers());
                for (Descriptor blob : content) {
                    // Foreign layers live outside registries (the manifest says where); the source need not hold them.
                    if (!MediaTypes.isNonDistributable(blob.mediaType())) {
                        blobs.putIfAbsent(blob.digest(), blob);
                    }
                }
            }
            toPush.add(node);
        }

        private void transfer(Descriptor blob) throws IOException, InterruptedException {
            permits.acquire();
            try {
                if (target.hasBlob(blob.digest())) {
                    skipped.incrementAndGet();
                    progress.skipped(blob);
                    return;
                }
                if (mountable && mount(blob)) {
                    mounted.incrementAndGet();
                    progress.skipped(blob);
                    return;
                }
                target.pushBlob(blob, new BlobSource() {
                    @Override
                    public long size() {
                        return blob.size();
                    }

                    @Override
                    public InputStream open(long offset) throws IOException {
                        return source.relayBlob(blob, offset);
                    }
                }, progress);
                copied.incrementAndGet();
                bytes.addAndGet(blob.size());
            } finally {
                permits.release();
            }
        }

        /** A mount the registry refuses (no pull right on the source, say) falls back to sending the blob. */
        private boolean mount(Descriptor blob) throws IOException {
            try {
                return target.mountBlob(blob.digest(), source.name());
            } catch (RegistryException e) {
                return false;
            }
        }

        private void awaitAll(List<Future<?>> pending) throws IOException {
            try {
                for (Future<?> future : pending) {
                    future.get();
                }
            } catch (InterruptedException e) {
                pending.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the copy was interrupted");
            } catch (ExecutionException e) {
                pending.forEach(f -> f.cancel(true));
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new IOException(cause);
            }
        }

        /** Copies the referrers of {@code subject}, and theirs, one by one, as each updates the subject's list. */
        private void copyReferrers(Digest subject, int depth) throws IOException {
            if (depth > MAX_REFERRER_DEPTH) {
                return;
            }
            for (Descriptor referrer : source.referrers(subject, null).manifests()) {
                if (!referrersSeen.add(referrer.digest())) {
                    continue;
                }
                PulledManifest pulled;
                try {
                    pulled = source.pullManifest(referrer.digest().toString());
                } catch (RegistryException e) {
                    if (e.isNotFound()) {
                        continue; // a tag schema index can outlive a referrer deleted since
                    }
                    throw e;
                }
                Graph graph = copyGraph(Node.of(pulled), referrer.digest().toString());
                referrersCopied++;
                for (Digest digest : graph.all()) {
                    copyReferrers(digest, depth + 1);
                }
            }
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }

    private static boolean isDigest(String reference) {
        return reference.indexOf(':') > 0;
    }

    public static final class Builder {
        private final List<Platform> platforms = new ArrayList<>();
        private boolean referrers;
        private int concurrency = DEFAULT_CONCURRENCY;
        private ProgressListener progress = ProgressListener.NONE;

        private Builder() {
        }

        /** Copies only these platforms of an index (all when none are named). */
        public Builder platforms(List<Platform> chosen) {
            platforms.clear();
            platforms.addAll(chosen);
            return this;
        }

        public Builder platform(String platform) {
            platforms.add(Platform.parse(platform));
            return this;
        }

        /** Copies the referrers too, recursively (off by default). */
        public Builder referrers(boolean referrers) {
            this.referrers = referrers;
            return this;
        }

        /** At most this many blobs in flight at once. */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
            this.concurrency = concurrency;
            return this;
        }

        /** Told of each blob's transfer, from the transfer threads. */
        public Builder progress(ProgressListener progress) {
            this.progress = Objects.requireNonNull(progress);
            return this;
        }

        public ImageCopier build() {
            return new ImageCopier(this);
        }
    }
}
