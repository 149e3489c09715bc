package io.berth.client;

import io.berth.oci.Descriptor;
import io.berth.oci.Manifest;

/**
 * A manifest as the registry served it: its exact bytes (whose SHA-256 is the digest) and the descriptor that
 * points at them.
 */
public record PulledManifest(Descriptor descriptor, byte[] bytes) {
    /** Parses and validates the bytes. */
    public Manifest parsed() {
        return Manifest.parse(bytes, descriptor.mediaType());
    }
}
