package io.berth.server;

import io.berth.registry.blob.BlobStore;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.s3.S3BlobStore;
import io.berth.s3.S3Settings;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stores of a Berth installation, opened from its configuration: the one place that knows which blob store and
 * which database a configuration names, for the server and every command that works on the installation.
 */
final class Installation implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Installation.class);

    private final BlobStore blobs;
    private final SqlMetadataStore metadata;

    private Installation(BlobStore blobs, SqlMetadataStore metadata) {
        this.blobs = blobs;
        this.metadata = metadata;
    }

    /** Opens blob storage, then the metadata database; fails with a message naming what could not be reached. */
    static Installation open(Config config) throws IOException {
        BlobStore blobs = openBlobs(config);
        try {
            return new Installation(blobs, openMetadata(config));
        } catch (RuntimeException e) {
            blobs.close();
            throw e;
        }
    }

    static SqlMetadataStore openMetadata(Config config) {
        return SqlMetadataStore.open(config.effectiveMetadataUrl(), config.metadataUsername(),
                config.metadataPassword());
    }

    /**
     * The configured blob store. An S3 bucket is checked once (that it exists and the credentials may use it), so
     * that a mistake in its settings ends startup instead of failing the first push.
     */
    static BlobStore openBlobs(Config config) throws IOException {
        return switch (config.storage()) {
            case StorageConfig.FileSystem fileSystem -> new FileSystemBlobStore(config.effectiveStoragePath());
            case StorageConfig.S3(S3Settings settings) -> {
                S3BlobStore store = S3BlobStore.open(settings);
                try {
                    store.check();
                } catch (IOException e) {
                    store.close();
                    throw new IllegalArgumentException("storage: cannot use bucket " + settings.describe() + ": "
                            + e.getMessage(), e);
                }
                yield store;
            }
        };
    }

    /** For the startup line: where the blobs are. */
    static String describeStorage(Config config) {
        return switch (config.storage()) {
            case StorageConfig.FileSystem fileSystem ->
                    "filesystem " + config.effectiveStoragePath().toAbsolutePath().normalize();
            case StorageConfig.S3(S3Settings settings) -> settings.describe();
        };
    }

    BlobStore blobs() {
        return blobs;
    }

    SqlMetadataStore metadata() {
        return metadata;
    }

    @Override
    public void close() {
        metadata.close();
        try {
            blobs.close();
        } catch (IOException e) {
            LOG.warn("closing blob storage failed", e);
        }
    }
}
