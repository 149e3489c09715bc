package io.berth.registry.metadata;

import io.berth.oci.Digest;
import java.time.Instant;
import java.util.List;

/**
 * A manifest of a repository as lifecycle policies see it: one that is neither a referrer (it has no subject) nor a
 * child of another manifest of the repository (an index's platform manifest).
 *
 * @param tags         the tags pointing at it, sorted; empty when untagged
 * @param lastPulledAt null when it was never pulled (or not since pull times were recorded)
 */
public record Image(Digest digest, List<String> tags, Instant pushedAt, Instant lastPulledAt) {
    public Image {
        tags = List.copyOf(tags);
    }
}
