package io.berth.registry.blob;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** A stored blob, opened for reading. */
public interface BlobContent {
    long size();

    /** The bytes from {@code offset}, {@code length} of them. */
    InputStream open(long offset, long length) throws IOException;

    /** The local file holding the bytes, when the store has one: lets the server send it without copying. */
    default Optional<Path> localFile() {
        return Optional.empty();
    }

    /**
     * A URL a client can fetch the bytes from itself, for a while, when the store offers one (a presigned URL of an
     * object store): the server then redirects downloads there instead of sending the bytes.
     */
    default Optional<URI> directUrl() throws IOException {
        return Optional.empty();
    }
}
