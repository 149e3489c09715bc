package io.berth.registry.inventory;

/**
 * The bytes a set of repositories stores: each blob once however many of them link it, and their manifests.
 *
 * @param repositories how many repositories were counted
 */
public record Usage(long repositories, long blobBytes, long manifestBytes) {
    public long sizeBytes() {
        return blobBytes + manifestBytes;
    }
}
