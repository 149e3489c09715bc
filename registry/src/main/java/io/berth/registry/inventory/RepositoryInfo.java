package io.berth.registry.inventory;

import java.time.Instant;

/**
 * A repository as listed.
 *
 * @param images       manifests that are neither referrers nor an index's children
 * @param referrers    manifests with a subject (signatures, SBOMs, attestations, ...)
 * @param sizeBytes    the bytes of its manifests and of the blobs it links, each blob counted once however many of
 *                     its manifests use it
 * @param lastPushedAt the last manifest pushed or tag set; null when none
 * @param lastPulledAt the last manifest pulled; null when none was
 */
public record RepositoryInfo(String name, long images, long tags, long referrers, long sizeBytes, Instant createdAt,
                             Instant lastPushedAt, Instant lastPulledAt) {
}
