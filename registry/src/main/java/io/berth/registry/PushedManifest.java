package io.berth.registry;

import io.berth.oci.Digest;
import java.util.List;

/** What a manifest push stored: its digest, its subject (null when none) and the tags now pointing at it. */
public record PushedManifest(Digest digest, Digest subject, List<String> tags) {
    public PushedManifest {
        tags = List.copyOf(tags);
    }
}
