package io.berth.registry.metadata;

import io.berth.oci.Digest;

/**
 * The stored bytes of blobs whose rows a collection deletes. The store hides a blob's bytes while it holds the
 * blob's row locked, in the transaction that deletes the row, so an upload of the same blob waiting on that row
 * finds them gone and stores its own; it brings them back when that transaction fails.
 */
public interface BlobBytes {

    void hide(Digest digest);

    /** Brings hidden bytes back, unless the blob is stored again meanwhile. */
    void restore(Digest digest);
}
