package io.berth.registry.inventory;

import io.berth.oci.Digest;
import java.time.Instant;

/** A tag, the manifest it points at, and when it was last set. */
public record TagInfo(String name, Digest digest, Instant updatedAt) {
}
