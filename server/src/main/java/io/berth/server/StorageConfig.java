package io.berth.server;

import io.berth.s3.S3Settings;
import java.nio.file.Path;

/** Where the blobs are: {@code storage.type} of the configuration. */
public sealed interface StorageConfig {
    /** Blobs under a directory; {@code path} null means the data directory. */
    record FileSystem(Path path) implements StorageConfig {
    }

    /** Blobs in an S3 bucket, or an S3-compatible store's. */
    record S3(S3Settings settings) implements StorageConfig {
    }

    StorageConfig DEFAULT = new FileSystem(null);
}
