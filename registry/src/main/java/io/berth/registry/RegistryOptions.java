package io.berth.registry;

import java.time.Duration;

/**
 * Behaviour switches of the registry domain.
 *
 * @param allowSparseIndex   accept indexes whose child manifests are not in the repository
 * @param uploadExpiry       how long an upload session may stay idle before it and its bytes are removed
 * @param referrersPageSize  most descriptors in one referrers response before it is paginated with {@code Link}
 * @param sharedMetadata     other servers may write the metadata store (PostgreSQL): what may change (tags,
 *                           which manifests a repository holds, listings) is confirmed in it for every request, and
 *                           only manifest bytes, which a digest names for good, are served from memory alone; false
 *                           when this process is the only writer, which invalidates its own cache on each change
 * @param immutableTags      which tags may not move to another manifest once set
 * @param announcePulls      record {@code io.berth.image.pulled} events, one per manifest with the pulls of each
 *                           batch of pull times written
 * @param quotas             limits on what repositories hold
 */
public record RegistryOptions(boolean allowSparseIndex, Duration uploadExpiry, int referrersPageSize,
                              boolean sharedMetadata, TagImmutability immutableTags, boolean announcePulls,
                              Quotas quotas) {
    public static final RegistryOptions DEFAULTS =
            new RegistryOptions(false, Duration.ofHours(24), 1000, false, TagImmutability.NONE, false, Quotas.NONE);
}
