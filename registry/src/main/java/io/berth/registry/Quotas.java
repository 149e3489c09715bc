package io.berth.registry;

import java.util.List;

/** Limits on what repositories may hold, asked before each blob is linked to a repository and each manifest pushed. */
@FunctionalInterface
public interface Quotas {
    /** No limits. */
    Quotas NONE = repository -> List.of();

    /** The quotas that apply to the repository; empty when none does. */
    List<Quota> of(String repository);

    /**
     * A limit of one repository.
     *
     * @param name      names the quota to the client that is refused (its rule in the configuration)
     * @param maxBytes  the bytes its manifests and the blobs it links may add up to, each blob counted once; null for
     *                  no limit
     * @param maxImages how many images (manifests that are neither referrers nor an index's children) it may hold;
     *                  null for no limit
     */
    record Quota(String name, Long maxBytes, Long maxImages) {
    }
}
