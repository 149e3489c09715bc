package io.berth.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.oci.Digest;
import io.berth.registry.metadata.StoredManifest;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Tag→digest and manifest bytes in memory, so hot pulls never reach the database.
 *
 * <p>Entries are loaded through Caffeine's per-key computation and invalidated after the database commit of every
 * change: an invalidation waits for a load in flight, so a load that read the old row can never leave it behind.
 * With a database shared by several servers, each server's entries also expire after {@code ttl}, which bounds how
 * long a change made on another server stays unseen.
 */
final class ManifestCache {
    private record TagKey(String repository, String tag) {
    }

    private record ManifestKey(String repository, Digest digest) {
    }

    private final Cache<TagKey, Digest> tags;
    private final Cache<ManifestKey, StoredManifest> manifests;

    ManifestCache(Duration ttl, long maxManifestBytes) {
        Caffeine<Object, Object> tagBuilder = Caffeine.newBuilder().maximumSize(100_000);
        Caffeine<Object, Object> manifestBuilder = Caffeine.newBuilder().maximumWeight(maxManifestBytes);
        if (ttl != null) {
            tagBuilder.expireAfterWrite(ttl);
            manifestBuilder.expireAfterWrite(ttl);
        }
        this.tags = tagBuilder.build();
        this.manifests = manifestBuilder
                .<ManifestKey, StoredManifest>weigher((key, manifest) -> manifest.payload().length + 256)
                .build();
    }

    Optional<Digest> tag(String repository, String tag, Supplier<Optional<Digest>> load) {
        return Optional.ofNullable(tags.get(new TagKey(repository, tag), key -> load.get().orElse(null)));
    }

    Optional<StoredManifest> manifest(String repository, Digest digest, Supplier<Optional<StoredManifest>> load) {
        return Optional.ofNullable(manifests.get(new ManifestKey(repository, digest), key -> load.get().orElse(null)));
    }

    Optional<Digest> cachedTag(String repository, String tag) {
        return Optional.ofNullable(tags.getIfPresent(new TagKey(repository, tag)));
    }

    Optional<StoredManifest> cachedManifest(String repository, Digest digest) {
        return Optional.ofNullable(manifests.getIfPresent(new ManifestKey(repository, digest)));
    }

    void tagChanged(String repository, String tag) {
        tags.invalidate(new TagKey(repository, tag));
    }

    /** A manifest was deleted, and with it every tag of the repository that pointed at it. */
    void manifestDeleted(String repository, Digest digest) {
        manifests.invalidate(new ManifestKey(repository, digest));
        tags.asMap().keySet().removeIf(key -> key.repository().equals(repository));
    }
}
