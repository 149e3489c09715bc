package io.berth.registry.metadata;

import io.berth.oci.Digest;

/** What garbage collection may delete, as a {@link Sweep} finds it. */
public sealed interface Collectable {

    /**
     * A manifest: untagged, or a referrer whose subject is gone.
     *
     * @param since when it became garbage: its push for an untagged manifest; for a referrer, the later of its push
     *              and its subject's deletion
     */
    record Manifest(long id, long repositoryId, String repository, Digest digest, long size, long since)
            implements Collectable {
    }

    /** A repository's link to a blob that no manifest of the repository references. */
    record Link(long repositoryId, String repository, Digest digest, long size) implements Collectable {
    }

    /** A blob no repository links and no manifest references. */
    record Blob(Digest digest, long size) implements Collectable {
    }
}
