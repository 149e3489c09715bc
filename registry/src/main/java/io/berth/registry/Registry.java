package io.berth.registry;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import io.berth.oci.ImageIndexWriter;
import io.berth.oci.InvalidDigestException;
import io.berth.oci.InvalidManifestException;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import io.berth.oci.Names;
import io.berth.oci.TagListWriter;
import io.berth.registry.blob.BlobContent;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.inventory.Inventory;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.metadata.Image;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.RepositoryLimit;
import io.berth.registry.metadata.RepositoryVersion;
import io.berth.registry.metadata.Reference;
import io.berth.registry.metadata.StoredManifest;
import io.berth.registry.metadata.TagImmutableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The registry's rules for repositories, manifests, tags, blobs and referrers. Uploads live in {@link Uploads}.
 * Plain Java: callers turn {@link RegistryException} codes into HTTP answers.
 */
public final class Registry {
    /** Manifests are a few KiB: this holds tens of thousands, and keeps the heap small. */
    private static final long MANIFEST_CACHE_BYTES = 24L * 1024 * 1024;
    /** Most tags of one repository read and held all at once (~60 bytes each). */
    static final int ALL_TAGS_IN_MEMORY = 20_000;
    private final BlobStore blobs;
    private final MetadataStore metadata;
    private final RegistryOptions options;
    private final ManifestCache cache;
    /**
     * Other servers write the metadata store too ({@link RegistryOptions#sharedMetadata}): a client may read through
     * this server what it wrote through another a moment ago, so tags, the manifests a repository holds and listings
     * are confirmed in the database for each request (one indexed read) and only manifest bytes by digest, which
     * never change, come from memory alone.
     */
    private final boolean shared;
    private final PullTimes pulls;
    private final QuotaGuard quotas;

    public Registry(BlobStore blobs, MetadataStore metadata, RegistryOptions options) {
        this.blobs = blobs;
        this.metadata = metadata;
        this.options = options;
        this.cache = new ManifestCache(MANIFEST_CACHE_BYTES);
        this.shared = options.sharedMetadata();
        this.pulls = new PullTimes(metadata, Clock.systemUTC(), options.announcePulls());
        this.quotas = new QuotaGuard(options.quotas(), metadata);
    }

    public RegistryOptions options() {
        return options;
    }

    /** Rejects names outside the spec's grammar with NAME_INVALID. */
    public static void checkName(String repository) {
        if (!Names.isValidRepository(repository)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name");
        }
    }

    /** Parses a digest from a request, rejecting bad ones with DIGEST_INVALID. */
    public static Digest parseDigest(String text) {
        try {
            return Digest.parse(text);
        } catch (InvalidDigestException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, e.getMessage());
        }
    }

    private static boolean isDigest(String reference) {
        return reference.indexOf(':') >= 0;
    }

    /**
     * A push to a tag outside the grammar is MANIFEST_INVALID: the spec lists no code for a bad tag (TAG_INVALID is
     * Docker's legacy code for a schema 1 manifest whose tag field did not match the URL), and clients print the
     * message, so it names the tag.
     */
    private static void checkTag(String tag) {
        if (!Names.isValidTag(tag)) {
            String shown = tag.length() > 130 ? tag.substring(0, 128) + "..." : tag;
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "invalid tag \"" + shown + "\"",
                    "a tag is 1 to 128 of a-z, A-Z, 0-9, '_', '.' and '-', and does not start with '.' or '-'");
        }
    }

    // ---- manifests

    /**
     * The manifest a tag or digest names. With a shared database, one read confirms what may have changed elsewhere
     * (the tag's digest, which holds the manifest too; or that the repository holds the digest), committed before
     * this call began; the bytes then come from memory. A manifest loaded into memory meanwhile by another request
     * has the same bytes, as its digest says.
     */
    public StoredManifest manifest(String repository, String reference) {
        checkName(repository);
        Digest digest;
        if (isDigest(reference)) {
            digest = parseDigest(reference);
            if (shared && !metadata.holdsManifest(repository, digest)) {
                throw manifestUnknown(reference);
            }
        } else if (!Names.isValidTag(reference)) {
            // A reference outside the tag grammar names nothing: not found, as the spec wants for reads.
            throw manifestUnknown(reference);
        } else {
            digest = (shared ? metadata.resolveTag(repository, reference)
                    : cache.tag(repository, reference, () -> metadata.resolveTag(repository, reference)))
                    .orElseThrow(() -> manifestUnknown(reference));
        }
        Digest found = digest;
        return cache.manifest(repository, found, () -> metadata.manifest(repository, found))
                .orElseThrow(() -> manifestUnknown(reference));
    }

    /**
     * The manifest a tag or digest names when it is in memory, without touching the database or raising errors:
     * empty means "ask {@link #manifest}", which gives the real answer.
     */
    public Optional<StoredManifest> cachedManifest(String repository, String reference) {
        if (shared) {
            return Optional.empty(); // memory alone cannot tell what another server changed
        }
        // Only valid names and tags ever enter the cache (manifest() checks them first), so no check is needed here.
        if (!isDigest(reference)) {
            return cache.cachedTag(repository, reference).flatMap(digest -> cache.cachedManifest(repository, digest));
        }
        try {
            return cache.cachedManifest(repository, Digest.parse(reference));
        } catch (InvalidDigestException e) {
            return Optional.empty();
        }
    }

    private static RegistryException nameUnknown(String repository) {
        return new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repository + " is not known");
    }

    private static RegistryException manifestUnknown(String reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is not in the repository");
    }

    /**
     * Validates and stores a manifest pushed to a tag or a digest, also applying {@code extraTags} (the {@code tag}
     * query parameters of a push by digest). Moving an immutable tag to another manifest is refused with DENIED and
     * a message naming the rule; nothing of such a push is stored.
     */
    public PushedManifest putManifest(String repository, String reference, String contentType, byte[] payload,
                                      List<String> extraTags) {
        checkName(repository);
        Set<String> tags = new LinkedHashSet<>();
        Digest digest;
        if (isDigest(reference)) {
            Digest claimed = parseDigest(reference);
            digest = Digest.of(claimed.algorithm(), payload);
            if (!digest.equals(claimed)) {
                throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest digest is " + digest);
            }
        } else {
            checkTag(reference);
            tags.add(reference);
            digest = Digest.of(DigestAlgorithm.SHA256, payload);
        }
        for (String tag : extraTags) {
            checkTag(tag);
            tags.add(tag);
        }
        Manifest manifest;
        try {
            manifest = Manifest.parse(payload, contentType);
        } catch (InvalidManifestException e) {
            // clients print the message, not the detail: the reason goes in both
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest invalid: " + e.getMessage(),
                    e.getMessage());
        }
        List<Reference> references = references(manifest);
        StoredManifest stored = new StoredManifest(digest, manifest.mediaType(), manifest.artifactType(),
                manifest.subject() == null ? null : manifest.subject().digest(), manifest.annotations(), payload,
                System.currentTimeMillis());
        // An image manifest pushed by digest alone may be a platform of an index pushed next: not counted as an image.
        boolean image = stored.subject() == null && (manifest.isIndex() || !tags.isEmpty());
        RepositoryLimit limit = quotas.pushing(repository, digest, payload.length, image);
        Map<String, String> immutable = new HashMap<>();
        for (String tag : tags) {
            options.immutableTags().rule(repository, tag).ifPresent(rule -> immutable.put(tag, rule));
        }
        List<Reference> missing;
        try {
            missing = metadata.putManifest(repository, stored, references, List.copyOf(tags),
                    Set.copyOf(immutable.keySet()), manifest.platforms(), limit);
        } catch (TagImmutableException e) {
            String reason = "tag " + e.tag() + " in " + repository + " is immutable (" + immutable.get(e.tag())
                    + ") and points to " + e.current();
            throw new RegistryException(ErrorCode.DENIED, reason, reason);
        }
        tags.forEach(tag -> cache.tagChanged(repository, tag));
        if (stored.subject() != null) {
            cache.referrerAdded(repository);
        }
        if (!missing.isEmpty()) {
            Reference first = missing.getFirst();
            String what = first.kind() == Reference.Kind.CHILD ? "manifest " : "blob ";
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                    what + first.digest() + " is not in the repository");
        }
        return new PushedManifest(digest, stored.subject(), List.copyOf(tags));
    }

    private List<Reference> references(Manifest manifest) {
        List<Reference> references = new ArrayList<>();
        if (manifest.config() != null) {
            references.add(new Reference(manifest.config().digest(), Reference.Kind.CONFIG, true));
        }
        for (Descriptor layer : manifest.layers()) {
            boolean required = !MediaTypes.isNonDistributable(layer.mediaType());
            references.add(new Reference(layer.digest(), Reference.Kind.LAYER, required));
        }
        for (Descriptor child : manifest.children()) {
            references.add(new Reference(child.digest(), Reference.Kind.CHILD, !options.allowSparseIndex()));
        }
        return references;
    }

    /** Deletes a manifest by digest (with its tags), or only the tag when given a tag. */
    public void deleteManifest(String repository, String reference) {
        checkName(repository);
        boolean deleted;
        if (isDigest(reference)) {
            Digest digest = parseDigest(reference);
            deleted = metadata.deleteManifest(repository, digest);
            cache.manifestDeleted(repository, digest);
        } else {
            deleted = Names.isValidTag(reference) && metadata.deleteTag(repository, reference);
            cache.tagChanged(repository, reference);
        }
        if (!deleted) {
            throw manifestUnknown(reference);
        }
    }

    // ---- pull times and lifecycle

    /**
     * Notes that a client fetched the manifest (cheap and non-blocking: safe on an I/O thread). The time reaches the
     * database with the next {@link #flushPulls}.
     */
    public void pulled(String repository, Digest digest) {
        pulls.record(repository, digest);
    }

    /** Writes the pull times noted since the last flush, in one transaction; returns how many. */
    public int flushPulls() {
        return pulls.flush();
    }

    /** The repository's images as lifecycle policies count them: no referrers, no index children. */
    public List<Image> images(String repository) {
        checkName(repository);
        return metadata.images(repository);
    }

    /**
     * Deletes an image a lifecycle policy expired, with its tags and the children only it kept, unless it changed
     * since it was evaluated (tagged differently, become an index's child, or gone).
     *
     * @return the deleted manifests' digests, the image's first; empty when it changed and was left alone
     */
    public List<Digest> expireImage(String repository, Image image) {
        checkName(repository);
        List<Digest> deleted = metadata.deleteImage(repository, image.digest(), Set.copyOf(image.tags()));
        deleted.forEach(digest -> cache.manifestDeleted(repository, digest));
        return deleted;
    }

    /**
     * Forgets a manifest that garbage collection deleted, with what was cached about it: its bytes, the tags and
     * referrers pages of its repository.
     */
    public void manifestCollected(String repository, Digest digest) {
        cache.manifestDeleted(repository, digest);
    }

    /**
     * Deletes a repository with its tags and manifests; its blobs are left to garbage collection. NAME_UNKNOWN when
     * there is no such repository.
     */
    public void deleteRepository(String repository) {
        checkName(repository);
        if (!metadata.deleteRepository(repository)) {
            throw nameUnknown(repository);
        }
        cache.clear(); // rare: simpler than finding each of its entries
    }

    /** What the registry holds, for browsing. */
    public Inventory inventory() {
        return metadata.inventory();
    }

    /** The repository's summary; NAME_INVALID or NAME_UNKNOWN as {@link #checkExists}. */
    public RepositoryInfo repository(String repository) {
        checkName(repository);
        return metadata.inventory().repository(repository).orElseThrow(() -> nameUnknown(repository));
    }

    /** NAME_INVALID for a name outside the grammar, NAME_UNKNOWN for one the registry does not hold. */
    public void checkExists(String repository) {
        checkName(repository);
        if (!metadata.repositoryExists(repository)) {
            throw nameUnknown(repository);
        }
    }

    /**
     * Lookups so far of the tag cache ({@code tags}) and the manifest cache ({@code manifests}): hits, misses,
     * evictions. A pull that misses the in-memory answer and then the cache counts two misses.
     */
    public Map<String, CacheStats> cacheStats() {
        return cache.stats();
    }

    /** Forgets every cached tag, manifest and referrers page: another process deleted manifests. */
    public void forgetCachedManifests() {
        cache.clear();
    }

    // ---- blobs

    /** Size of a blob the repository may serve. */
    public long blobSize(String repository, Digest digest) {
        checkName(repository);
        return metadata.linkedBlobSize(repository, digest).orElseThrow(() -> blobUnknown(digest));
    }

    public BlobContent openBlob(String repository, Digest digest) {
        long size = blobSize(repository, digest);
        try {
            return blobs.openStored(digest, size).orElseThrow(() -> blobUnknown(digest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the repository's link to a blob; the bytes go when no repository needs them (garbage collection). */
    public void deleteBlob(String repository, Digest digest) {
        checkName(repository);
        if (!metadata.unlinkBlob(repository, digest)) {
            throw blobUnknown(digest);
        }
    }

    private static RegistryException blobUnknown(Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is not in the repository");
    }

    // ---- listings

    /**
     * A page of the repository's tags. A repository's tags are read from the database all at once, when there are at
     * most {@link #ALL_TAGS_IN_MEMORY}, and every page of them is then made in memory; pages of a repository with more
     * are read one by one.
     */
    public RenderedPage tags(String repository, String last, int limit) {
        checkName(repository);
        String after = listedAfter(last);
        RepositoryVersion version = null;
        if (shared) {
            version = metadata.repositoryVersion(repository).orElseThrow(() -> nameUnknown(repository));
        }
        return cache.tags(repository, version, after, limit, () -> {
            List<String> all = metadata.tags(repository, null, ALL_TAGS_IN_MEMORY + 1);
            return all.size() > ALL_TAGS_IN_MEMORY ? null : all;
        }, all -> {
            List<String> tags = all != null ? following(all, after, limit + 1)
                    : metadata.tags(repository, after, limit + 1);
            if (tags.isEmpty() && !metadata.repositoryExists(repository)) {
                throw nameUnknown(repository);
            }
            return tagsPage(repository, tags, limit);
        });
    }

    /** A tags page when it is in memory or can be made there, without touching the database; empty: ask {@link #tags}. */
    public Optional<RenderedPage> cachedTags(String repository, String last, int limit) {
        if (shared) {
            return Optional.empty();
        }
        String after = listedAfter(last);
        return cache.cachedTags(repository, after, limit, all -> all.isEmpty() ? null // is the repository known?
                : tagsPage(repository, following(all, after, limit + 1), limit));
    }

    private static RenderedPage tagsPage(String repository, List<String> tags, int limit) {
        return RenderedPage.of(page(tags, limit, tag -> tag), page -> TagListWriter.write(repository, page));
    }

    /**
     * The first {@code count} of {@code sorted} that sort after {@code after}, as the database would list them: tags
     * are ASCII, so the order of Java strings is that of their bytes.
     */
    private static List<String> following(List<String> sorted, String after, int count) {
        int from = 0;
        if (after != null) {
            int found = Collections.binarySearch(sorted, after);
            from = found >= 0 ? found + 1 : -found - 1;
        }
        return sorted.subList(from, Math.min(sorted.size(), from + count));
    }

    public Page<String> catalog(String last, int limit) {
        return page(metadata.repositories(listedAfter(last), limit + 1), limit, name -> name);
    }

    /**
     * A page of the image index that lists the manifests whose subject is {@code subject}, optionally only those of
     * one artifact type.
     */
    public RenderedPage referrers(String repository, Digest subject, String artifactType, String last, int limit) {
        checkName(repository);
        String after = listedAfter(last);
        Supplier<RenderedPage> load = () -> RenderedPage.of(
                page(metadata.referrers(repository, subject, artifactType, after, limit + 1), limit,
                        descriptor -> descriptor.digest().toString()), ImageIndexWriter::write);
        RepositoryVersion version = null;
        if (shared) {
            Optional<RepositoryVersion> found = metadata.repositoryVersion(repository);
            if (found.isEmpty()) {
                return load.get(); // the empty page of a repository that does not exist: nothing worth keeping
            }
            version = found.get();
        }
        return cache.referrers(repository, version, subject, artifactType, after, limit, load);
    }

    /** A referrers page when it is in memory, without touching the database; empty means "ask {@link #referrers}". */
    public Optional<RenderedPage> cachedReferrers(String repository, Digest subject, String artifactType,
                                                  String last, int limit) {
        if (shared) {
            return Optional.empty();
        }
        return cache.cachedReferrers(repository, subject, artifactType, listedAfter(last), limit);
    }

    /**
     * The {@code last} key of a listing, cut at the first NUL: names, tags and digests hold no control characters, so
     * the same entries sort after the cut key, and databases that reject NUL in text never see one.
     */
    private static String listedAfter(String last) {
        if (last == null) {
            return null;
        }
        int nul = last.indexOf('\0');
        return nul < 0 ? last : last.substring(0, nul);
    }

    private static <T> Page<T> page(List<T> fetched, int limit, Function<T, String> key) {
        if (limit == 0) {
            return new Page<>(List.of(), null);
        }
        if (fetched.size() <= limit) {
            return new Page<>(fetched, null);
        }
        List<T> items = fetched.subList(0, limit);
        return new Page<>(items, key.apply(items.getLast()));
    }
}
