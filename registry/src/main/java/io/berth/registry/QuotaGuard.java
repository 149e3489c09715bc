package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.RepositoryLimit;
import java.util.List;
import java.util.Optional;

/**
 * Refuses, with {@code DENIED} and a message that names the quota and what the repository holds, a change that
 * would take a repository over one of its quotas. A change is checked twice: before it, against the repository as it
 * is (so that an upload's bytes are not stored for nothing), and in its own transaction, against the repository with
 * the change ({@link RepositoryLimit}), where pushes racing each other into one repository are checked one after the
 * other.
 */
final class QuotaGuard {
    private final Quotas quotas;
    private final MetadataStore metadata;

    QuotaGuard(Quotas quotas, MetadataStore metadata) {
        this.quotas = quotas;
        this.metadata = metadata;
    }

    /**
     * Before linking a blob of {@code size} bytes to the repository: nothing when it is linked there already.
     *
     * @return the check of the link's transaction
     */
    RepositoryLimit linking(String repository, Digest digest, long size) {
        List<Quotas.Quota> limits = quotas.of(repository);
        if (limits.stream().noneMatch(quota -> quota.maxBytes() != null)) {
            return RepositoryLimit.NONE;
        }
        if (metadata.linkedBlobSize(repository, digest).isEmpty()) {
            Optional<RepositoryInfo> info = metadata.inventory().repository(repository);
            check(repository, limits, info.map(RepositoryInfo::sizeBytes).orElse(0L), 0, size, false, "this blob");
        }
        return limit(limits, false, "this blob");
    }

    /**
     * Before storing a manifest of {@code size} bytes: nothing when the repository holds it already.
     *
     * @param image whether the manifest is an image the repository would count: not a referrer, and not an image
     *              manifest pushed by digest only (it may be one of an index's children, pushed before the index)
     * @return the check of the push's transaction
     */
    RepositoryLimit pushing(String repository, Digest digest, long size, boolean image) {
        List<Quotas.Quota> limits = quotas.of(repository);
        if (limits.isEmpty()) {
            return RepositoryLimit.NONE;
        }
        if (metadata.manifest(repository, digest).isEmpty()) {
            Optional<RepositoryInfo> info = metadata.inventory().repository(repository);
            check(repository, limits, info.map(RepositoryInfo::sizeBytes).orElse(0L),
                    info.map(RepositoryInfo::images).orElse(0L), size, image, "this manifest");
        }
        return limit(limits, image, "this manifest");
    }

    /** The check in the transaction: the repository's figures less what the change added are what it held. */
    private static RepositoryLimit limit(List<Quotas.Quota> limits, boolean image, String what) {
        return (repository, sizeBytes, images, addedBytes, addedImages) -> check(repository, limits,
                sizeBytes - addedBytes, images - addedImages, addedBytes, image && addedImages > 0, what);
    }

    /**
     * Refuses when adding {@code bytes} (and one image, if {@code image}) to a repository that holds {@code held}
     * bytes and {@code images} images takes it past a limit.
     */
    private static void check(String repository, List<Quotas.Quota> limits, long held, long images, long bytes,
                              boolean image, String what) {
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
