package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.metadata.MetadataStore;
import java.util.List;
import java.util.Optional;

/**
 * Refuses, with {@code DENIED} and a message that names the quota and what the repository holds, a change that
 * would take a repository over one of its quotas. It checks the repository as it is before the change: pushes that
 * run at the same time into one repository may each pass and together end a little over the limit.
 */
final class QuotaGuard {
    private final Quotas quotas;
    private final MetadataStore metadata;

    QuotaGuard(Quotas quotas, MetadataStore metadata) {
        this.quotas = quotas;
        this.metadata = metadata;
    }

    /** Before linking a blob of {@code size} bytes to the repository: nothing when it is linked there already. */
    void linking(String repository, Digest digest, long size) {
        List<Quotas.Quota> limits = quotas.of(repository);
        if (limits.stream().anyMatch(quota -> quota.maxBytes() != null)
                && metadata.linkedBlobSize(repository, digest).isEmpty()) {
            check(repository, limits, size, false, "this blob");
        }
    }

    /**
     * Before storing a manifest of {@code size} bytes: nothing when the repository holds it already.
     *
     * @param image whether the manifest is an image the repository would count: not a referrer, and not an image
     *              manifest pushed by digest only (it may be one of an index's children, pushed before the index)
     */
    void pushing(String repository, Digest digest, long size, boolean image) {
        List<Quotas.Quota> limits = quotas.of(repository);
        if (!limits.isEmpty() && metadata.manifest(repository, digest).isEmpty()) {
            check(repository, limits, size, image, "this manifest");
        }
    }

    /** Refuses when adding {@code bytes} (and one image, if {@code image}) takes the repository past a limit. */
    private void check(String repository, List<Quotas.Quota> limits, long bytes, boolean image, String what) {
        Optional<RepositoryInfo> info = metadata.inventory().repository(repository);
        long images = info.map(RepositoryInfo::images).orElse(0L);
        long held = info.map(RepositoryInfo::sizeBytes).orElse(0L);
        for (Quotas.Quota quota : limits) {
            if (image && quota.maxImages() != null && images + 1 > quota.maxImages()) {
                throw refused("quota " + quota.name() + " allows " + quota.maxImages() + " images in " + repository
                        + ", and it holds " + images + ": delete images (or ask for a larger quota) to push more");
            }
            if (quota.maxBytes() != null && held + bytes > quota.maxBytes()) {
                throw refused("quota " + quota.name() + " allows " + ByteSizes.format(quota.maxBytes()) + " in "
                        + repository + ", which holds " + ByteSizes.format(held) + "; " + what + " adds "
                        + ByteSizes.format(bytes) + ": delete images (or ask for a larger quota) to push it");
            }
        }
    }

    /** DENIED, with the reason in the message: clients print the message, not the detail. */
    private static RegistryException refused(String reason) {
        return new RegistryException(ErrorCode.DENIED, reason, reason);
    }
}
