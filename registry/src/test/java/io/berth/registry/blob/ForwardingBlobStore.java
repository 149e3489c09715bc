package io.berth.registry.blob;

import io.berth.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A store that passes every call to another: tests override the calls they watch or hold up. */
public class ForwardingBlobStore implements BlobStore {
    protected final BlobStore store;

    public ForwardingBlobStore(BlobStore store) {
        this.store = store;
    }

    @Override
    public Optional<BlobContent> open(Digest digest) throws IOException {
        return store.open(digest);
    }

    @Override
    public Optional<BlobContent> openStored(Digest digest, long size) throws IOException {
        return store.openStored(digest, size);
    }

    @Override
    public void delete(Digest digest) throws IOException {
        store.delete(digest);
    }

    @Override
    public void check() throws IOException {
        store.check();
    }

    @Override
    public void createUpload(String uploadId, boolean resumable) throws IOException {
        store.createUpload(uploadId, resumable);
    }

    @Override
    public long writeUpload(String uploadId, long offset, InputStream data, BufferRelay.Consumer observer)
            throws IOException {
        return store.writeUpload(uploadId, offset, data, observer);
    }

    @Override
    public InputStream readUpload(String uploadId, long length) throws IOException {
        return store.readUpload(uploadId, length);
    }

    @Override
    public boolean commitUpload(String uploadId, long size, Digest digest) throws IOException {
        return store.commitUpload(uploadId, size, digest);
    }

    @Override
    public List<String> uploadsWrittenBefore(Instant cutoff, int limit) throws IOException {
        return store.uploadsWrittenBefore(cutoff, limit);
    }

    @Override
    public void deleteUpload(String uploadId) throws IOException {
        store.deleteUpload(uploadId);
    }

    @Override
    public void hide(Digest digest) throws IOException {
        store.hide(digest);
    }

    @Override
    public void restore(Digest digest) throws IOException {
        store.restore(digest);
    }

    @Override
    public void purge(Digest digest) throws IOException {
        store.purge(digest);
    }

    @Override
    public List<Digest> hidden() throws IOException {
        return store.hidden();
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
