package io.berth.registry.metadata;

import io.berth.oci.Digest;
import java.util.List;

/**
 * One garbage collection's reads and deletions. Candidates are read without locks, a page at a time, in key order
 * after the given key. Each delete method then, in one short transaction, locks its candidates, checks each again
 * (a push may have made it live since) and deletes those still garbage, which it returns.
 *
 * <p>A dry sweep deletes nothing: it remembers what it would delete, and its later reads treat that as deleted, so
 * that a dry run lists what a real one would, cascades included.
 */
public interface Sweep extends AutoCloseable {

    /** Manifests of the repository, older than {@code createdBefore}, with no tag, no subject and no parent index. */
    List<Collectable.Manifest> untaggedManifests(String repository, long createdBefore, long afterId, int limit);

    /** Deletes the candidates still untagged; records their deletion at {@code now} for their referrers. */
    List<Collectable.Manifest> deleteUntaggedManifests(List<Collectable.Manifest> candidates, long createdBefore,
                                                       long now);

    /**
     * Referrers whose subject is not in their repository, with no tag and no parent index, that became garbage
     * before {@code orphanedBefore}: pushed before then, and their subject deleted before then (or never pushed).
     */
    List<Collectable.Manifest> orphanReferrers(long orphanedBefore, long afterId, int limit);

    /**
     * Deletes the candidates still orphaned; records each deletion as of when the referrer became garbage, so its
     * own referrers (the signature of an SBOM) follow in the same collection.
     */
    List<Collectable.Manifest> deleteOrphanReferrers(List<Collectable.Manifest> candidates, long orphanedBefore);

    /** Forgets manifest deletions older than {@code deletedBefore} that no referrer names any more. */
    int forgetDeletedManifests(long deletedBefore);

    /** Links older than {@code createdBefore} that no manifest of their repository references. */
    List<Collectable.Link> unreferencedLinks(long createdBefore, Collectable.Link after, int limit);

    List<Collectable.Link> deleteLinks(List<Collectable.Link> candidates, long createdBefore);

    /** Blobs older than {@code createdBefore} that no repository links and no manifest references. */
    List<Collectable.Blob> unreferencedBlobs(long createdBefore, Digest after, int limit);

    /** Deletes the rows of the candidates still unreferenced, hiding their bytes while each row is locked. */
    List<Collectable.Blob> deleteBlobs(List<Collectable.Blob> candidates, long createdBefore, BlobBytes bytes);

    /**
     * For bytes an interrupted collection hid: brings them back when the blob's row exists (the deletion did not
     * commit, or the blob was stored again), holding the row meanwhile.
     *
     * @return whether the row exists; when not, the hidden bytes are garbage
     */
    boolean restoreIfStored(Digest digest, BlobBytes bytes);

    @Override
    void close();
}
