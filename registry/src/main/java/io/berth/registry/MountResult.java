package io.berth.registry;

import io.berth.oci.Digest;

/** A blob mount either linked an existing blob, or fell back to a new upload session. */
public sealed interface MountResult {
    record Mounted(Digest digest) implements MountResult {
    }

    record Started(BlobUpload upload) implements MountResult {
    }
}
