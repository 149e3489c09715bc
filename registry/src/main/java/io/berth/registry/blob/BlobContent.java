package io.berth.registry.blob;

import java.io.IOException;
import java.io.InputStream;
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
}
