package io.berth.registry.inventory;

import io.berth.oci.Digest;
import java.time.Instant;
import java.util.List;

/**
 * A manifest as listed, with the fields of Amazon ECR's {@code ImageDetail}.
 *
 * @param artifactType the manifest's {@code artifactType}, else its config's media type; null for an index without
 *                     one
 * @param subject      null unless it is a referrer
 * @param tags         sorted; empty when untagged
 * @param manifestSize the manifest's own bytes
 * @param sizeBytes    the manifest's bytes with those of every blob and child manifest it uses, each counted once
 *                     (for an index: the unique bytes of all its platforms)
 * @param platforms    for an index, the platforms of its children ({@code os/architecture[/variant]}); else empty
 * @param lastPulledAt null when it was never pulled
 */
public record ImageInfo(Digest digest, String mediaType, String artifactType, Digest subject, List<String> tags,
                        long manifestSize, long sizeBytes, List<String> platforms, Instant pushedAt,
                        Instant lastPulledAt) {
    public ImageInfo {
        tags = List.copyOf(tags);
        platforms = List.copyOf(platforms);
    }
}
