package io.berth.client.layout;

import io.berth.client.BlobSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where a layout's files are read from: a directory, or a tar archive read in place. */
interface LayoutFiles {
    /** The file at a slash-separated path inside the layout, such as {@code blobs/sha256/ab…}. */
    Optional<BlobSource> file(String path) throws IOException;

    static LayoutFiles directory(Path root) {
        return path -> {
            Path file = root.resolve(path);
            return Files.isRegularFile(file) ? Optional.of(BlobSource.of(file)) : Optional.empty();
        };
    }
}
