package io.berth.registry.inventory;

/**
 * What the registry as a whole stores.
 *
 * @param blobBytes         every stored blob once, linked or not
 * @param unreferencedBytes blobs no manifest references: garbage collection frees them once they are older than its
 *                          grace period (manifests it would delete, such as expired untagged ones, are not counted)
 */
public record RegistryUsage(long repositories, long blobs, long blobBytes, long manifests, long manifestBytes,
                            long unreferencedBlobs, long unreferencedBytes) {
}
