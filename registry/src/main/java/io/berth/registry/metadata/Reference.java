package io.berth.registry.metadata;

import io.berth.oci.Digest;

/**
 * Content a manifest points at. Required references must exist in the repository when the manifest is stored:
 * blobs (config, layer) as repository blob links, children as manifests.
 */
public record Reference(Digest digest, Kind kind, boolean required) {
    public enum Kind { CONFIG, LAYER, CHILD }
}
