package io.berth.client;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file to push as a layer of an artifact.
 *
 * @param title     its name, which becomes the layer's {@code org.opencontainers.image.title}
 * @param mediaType the layer's media type
 */
public record ArtifactFile(String title, String mediaType, BlobSource content) {
    public ArtifactFile {
        if (title == null || title.isEmpty()) {
            throw new IllegalArgumentException("an artifact file needs a title");
        }
        if (mediaType == null || mediaType.isEmpty()) {
            throw new IllegalArgumentException("an artifact file needs a media type");
        }
    }

    /** A file on disk, titled with its file name. */
    public static ArtifactFile of(Path file, String mediaType) throws IOException {
        return new ArtifactFile(file.getFileName().toString(), mediaType, BlobSource.of(file));
    }

    public static ArtifactFile of(String title, String mediaType, byte[] bytes) {
        return new ArtifactFile(title, mediaType, BlobSource.of(bytes));
    }
}
