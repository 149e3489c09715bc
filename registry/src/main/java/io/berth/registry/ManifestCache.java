package io.berth.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.berth.oci.Digest;
import io.berth.registry.metadata.RepositoryVersion;
import io.berth.registry.metadata.StoredManifest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Tag→digest, manifest bytes, and referrers and tags pages in memory, so hot pulls and listings never reach the
 * database.
 *
 * <p>Entries are loaded through Caffeine's per-key computation and invalidated after the database commit of every
 * change: an invalidation waits for a load in flight, so a load that read the old row can never leave it behind.
 *
 * <p>With a database shared by several servers, changes made elsewhere invalidate nothing here, so {@link Registry}
 * uses only what stays true: manifest bytes by digest (after confirming in the database that the repository holds
 * the manifest), and pages keyed by the {@link RepositoryVersion} it read from the database for the request, which
 * any change of the repository's manifests or tags moves on in its own transaction. Nothing expires: an entry is
 * either still true or never looked up again.
 */
final class ManifestCache {
    private record TagKey(long epoch, String repository, long generation, String tag) {
    }

    private record ManifestKey(long epoch, String repository, Digest digest) {
    }

    /** {@code version}: the repository's in the shared database, null when this process is the only writer. */
    private record ReferrersKey(long epoch, String repository, long generation, RepositoryVersion version,
                                Digest subject, String artifactType, String last, int limit) {
    }

    private record TagsKey(long epoch, String repository, long generation, long tagsGeneration,
                           RepositoryVersion version, String last, int limit) {
        TagsKey allTags() {
            return new TagsKey(epoch, repository, generation, tagsGeneration, version, null, -1);
        }
    }

    /** A repository's tags, sorted; {@code sorted} is null when it has too many to hold. */
    private record AllTags(List<String> sorted) {
    }

    /**
     * Bytes of rendered pages (referrers, tags) held: a referrer's descriptor takes ~300, a tag its length and 3;
     * 128 more are counted per page for its key and record.
     */
    private static final long MAX_CACHED_PAGE_BYTES = 32L * 1024 * 1024;
    /** Tags held across the repositories whose every tag is in memory (~60 bytes each). */
    private static final long MAX_CACHED_TAG_NAMES = 200_000;

    /** Used only when this process is the only writer: with a shared database a tag is resolved there each time. */
    private final Cache<TagKey, Digest> tags;
    private final Cache<ManifestKey, StoredManifest> manifests;
    /** Referrers and tags pages, under keys of either kind. */
    private final Cache<Record, RenderedPage> pages;
    /** Every tag of a repository, so that any page of its tags can be made without the database. */
    private final Cache<TagsKey, AllTags> allTags;
    /**
     * Tags and referrers pages are keyed by their repository's generation, moved on by changes that touch many keys
     * at once (a manifest deletion, a new referrer). An entry loaded from before such a change lands under the old
     * generation, where no reader looks again; invalidating by scanning the keys could miss a load still in flight.
     */
    private final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
    /** The same for the tags pages of a repository, moved on by every tag change. */
    private final Map<String, AtomicLong> tagsGenerations = new ConcurrentHashMap<>();
    /** Part of every key, moved on by {@link #clear}: the same trick for every repository at once. */
    private final AtomicLong epoch = new AtomicLong();

    ManifestCache(long maxManifestBytes) {
        // Hits and misses of the two hottest caches are counted for the metrics (a striped counter each: cheap).
        this.tags = Caffeine.newBuilder().maximumSize(100_000).recordStats().build();
        this.manifests = Caffeine.newBuilder().maximumWeight(maxManifestBytes).recordStats()
                .<ManifestKey, StoredManifest>weigher((key, manifest) -> manifest.payload().length + 256)
                .build();
        this.pages = Caffeine.newBuilder().maximumWeight(MAX_CACHED_PAGE_BYTES)
                .<Record, RenderedPage>weigher((key, page) -> page.json().length + 128)
                .build();
        this.allTags = Caffeine.newBuilder().maximumWeight(MAX_CACHED_TAG_NAMES)
                .<TagsKey, AllTags>weigher((key, all) -> all.sorted() == null ? 1 : all.sorted().size() + 1)
                .build();
    }

    /** Hits and misses so far of the tag cache and of the manifest cache. */
    Map<String, CacheStats> stats() {
        return Map.of("tags", tags.stats(), "manifests", manifests.stats());
    }

    Optional<Digest> tag(String repository, String tag, Supplier<Optional<Digest>> load) {
        return Optional.ofNullable(tags.get(tagKey(repository, tag), key -> load.get().orElse(null)));
    }

    Optional<StoredManifest> manifest(String repository, Digest digest, Supplier<Optional<StoredManifest>> load) {
        return Optional.ofNullable(manifests.get(manifestKey(repository, digest), key -> load.get().orElse(null)));
    }

    Optional<Digest> cachedTag(String repository, String tag) {
        return Optional.ofNullable(tags.getIfPresent(tagKey(repository, tag)));
    }

    Optional<StoredManifest> cachedManifest(String repository, Digest digest) {
        return Optional.ofNullable(manifests.getIfPresent(manifestKey(repository, digest)));
    }

    RenderedPage referrers(String repository, RepositoryVersion version, Digest subject, String artifactType,
                           String last, int limit, Supplier<RenderedPage> load) {
        return pages.get(referrersKey(repository, version, subject, artifactType, last, limit), key -> load.get());
    }

    /** Only for a process that is the database's only writer: the keys of shared databases are never looked up. */
    Optional<RenderedPage> cachedReferrers(String repository, Digest subject, String artifactType, String last,
                                           int limit) {
        return Optional.ofNullable(
                pages.getIfPresent(referrersKey(repository, null, subject, artifactType, last, limit)));
    }

    /**
     * A tags page from memory, else made by {@code load}, which is given the repository's tags when all of them are in
     * memory (read by {@code loadAll} first if need be; it answers null when there are too many to hold), else null.
     */
    RenderedPage tags(String repository, RepositoryVersion version, String last, int limit,
                      Supplier<List<String>> loadAll, Function<List<String>, RenderedPage> load) {
        TagsKey key = tagsKey(repository, version, last, limit);
        return pages.get(key, k -> load.apply(allTags.get(key.allTags(), all -> new AllTags(loadAll.get())).sorted()));
    }

    /**
     * A tags page when it is in memory, or can be made from the repository's tags in memory by {@code fromAll} (which
     * answers null when it cannot); empty otherwise. Only for a process that is the database's only writer.
     */
    Optional<RenderedPage> cachedTags(String repository, String last, int limit,
                                      Function<List<String>, RenderedPage> fromAll) {
        TagsKey key = tagsKey(repository, null, last, limit);
        RenderedPage page = pages.getIfPresent(key);
        if (page == null) {
            AllTags all = allTags.getIfPresent(key.allTags());
            if (all != null && all.sorted() != null) {
                page = pages.get(key, k -> fromAll.apply(all.sorted()));
            }
        }
        return Optional.ofNullable(page);
    }

    /** A manifest with a subject was stored in the repository: its cached referrers pages are stale. */
    void referrerAdded(String repository) {
        moveOn(generations, repository);
    }

    void tagChanged(String repository, String tag) {
        tags.invalidate(tagKey(repository, tag));
        moveOn(tagsGenerations, repository);
    }

    /** A manifest was deleted, and with it every tag of the repository that pointed at it and its referrer entry. */
    void manifestDeleted(String repository, Digest digest) {
        manifests.invalidate(manifestKey(repository, digest));
        moveOn(generations, repository);
    }

    /** Forgets everything: manifests were deleted by another process, which said no more than that. */
    void clear() {
        epoch.incrementAndGet();
        tags.invalidateAll();
        manifests.invalidateAll();
        pages.invalidateAll();
        allTags.invalidateAll();
    }

    /**
     * A repository's generation in {@code counters}: 0 until a change first moves it on, so that reading names that
     * no change touched (any name a client sends) adds nothing to the maps.
     */
    private static long current(Map<String, AtomicLong> counters, String repository) {
        AtomicLong counter = counters.get(repository);
        return counter == null ? 0 : counter.get();
    }

    private static void moveOn(Map<String, AtomicLong> counters, String repository) {
        counters.computeIfAbsent(repository, name -> new AtomicLong()).incrementAndGet();
    }

    private TagKey tagKey(String repository, String tag) {
        return new TagKey(epoch.get(), repository, current(generations, repository), tag);
    }

    private ManifestKey manifestKey(String repository, Digest digest) {
        return new ManifestKey(epoch.get(), repository, digest);
    }

    private TagsKey tagsKey(String repository, RepositoryVersion version, String last, int limit) {
        return new TagsKey(epoch.get(), repository, current(generations, repository),
                current(tagsGenerations, repository), version, last, limit);
    }

    private ReferrersKey referrersKey(String repository, RepositoryVersion version, Digest subject,
                                      String artifactType, String last, int limit) {
        return new ReferrersKey(epoch.get(), repository, current(generations, repository), version, subject,
                artifactType, last, limit);
    }
}
