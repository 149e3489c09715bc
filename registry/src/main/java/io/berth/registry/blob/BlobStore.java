package io.berth.registry.blob;

import io.berth.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where blob bytes live, content-addressed and shared by the whole registry, and where uploads grow until they
 * become blobs. Metadata (which repository may serve which blob) is not kept here.
 *
 * <p>An implementation must make {@link #commitUpload} durable and atomic: once it returns, the blob survives a
 * crash; before it returns, no reader sees a partial blob. Nothing here assumes renames or links: an object store
 * can implement uploads as multipart uploads and commit as their completion.
 */
public interface BlobStore extends AutoCloseable {

    /** The blob with this digest, if stored. */
    Optional<BlobContent> open(Digest digest) throws IOException;

    /**
     * The blob with this digest, which the metadata says is stored with {@code size} bytes: a store where asking is
     * a request of its own may trust that and leave it to the first read to fail if the blob is gone after all.
     */
    default Optional<BlobContent> openStored(Digest digest, long size) throws IOException {
        return open(digest);
    }

    /** Removes a blob; absent blobs are ignored. */
    void delete(Digest digest) throws IOException;

    /**
     * Starts an empty upload. A {@code resumable} upload outlives the request that starts it (a session a client
     * appends to): whatever {@link #writeUpload} acknowledges must survive a crash on its own. Any other upload is
     * committed or dropped by the request that created it, so only {@link #commitUpload} needs to be durable.
     */
    void createUpload(String uploadId, boolean resumable) throws IOException;

    /**
     * Writes {@code data} at {@code offset}, dropping anything the upload held past it (bytes a crash left
     * unacknowledged), and makes the result durable.
     *
     * @param observer sees the bytes written, in order, a buffer at a time, maybe on another thread (the registry
     *     hashes them there): it has seen all of them when this returns, and sees nothing more once this has thrown
     * @return the upload's size afterwards
     */
    long writeUpload(String uploadId, long offset, InputStream data, BufferRelay.Consumer observer) throws IOException;

    /** The first {@code length} bytes of an upload. */
    InputStream readUpload(String uploadId, long length) throws IOException;

    /**
     * Turns the first {@code size} bytes of an upload into the blob {@code digest} (the caller has verified the
     * digest) and removes the upload. Durable when it returns. When the blob is stored already, the upload stays as it
     * is: the stored blob may be a garbage collection's to delete, and the caller keeps these bytes until it holds the
     * blob's metadata row (and then calls this again if the blob is gone, or {@link #deleteUpload}).
     *
     * @return true when the upload became the blob, false when the blob was stored already
     */
    boolean commitUpload(String uploadId, long size, Digest digest) throws IOException;

    /**
     * Ids of uploads whose data was last written before {@code cutoff}, at most {@code limit} of them: lets the
     * registry find data that a crash left without a session.
     */
    List<String> uploadsWrittenBefore(Instant cutoff, int limit) throws IOException;

    /** Removes an upload's data; absent uploads are ignored. */
    void deleteUpload(String uploadId) throws IOException;

    /**
     * Moves a blob out of sight, to where {@link #restore} can bring it back until {@link #purge} removes it: garbage
     * collection hides a blob in the transaction that deletes its metadata row, and purges it after the commit.
     * Absent blobs are ignored.
     */
    void hide(Digest digest) throws IOException;

    /** Brings a hidden blob back, unless the blob is stored again meanwhile (then the hidden copy goes). */
    void restore(Digest digest) throws IOException;

    /** Removes a hidden blob for good; absent ones are ignored. */
    void purge(Digest digest) throws IOException;

    /** Blobs hidden and neither restored nor purged: what an interrupted garbage collection left. */
    List<Digest> hidden() throws IOException;

    /**
     * Fails unless the store can be used now, cheaply: what a readiness probe asks, about once a second. A
     * filesystem checks that its root is there and takes a new file; an object store that its bucket answers.
     */
    void check() throws IOException;

    @Override
    void close() throws IOException;
}
