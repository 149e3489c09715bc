package io.berth.server.protocol;

import io.berth.server.Config;
import io.berth.server.StorageConfig;
import io.berth.server.testing.Backend;
import io.berth.server.testing.S3Store;
import io.berth.server.testing.TestRegistry;
import java.util.function.UnaryOperator;

/**
 * What the protocol suite runs on: each metadata database with blobs on the filesystem, and PostgreSQL with blobs on
 * S3 (s3proxy), the pair that several nodes share. Test classes outside this suite run on {@link Backend}s only: they
 * reach the blob store through the same handlers, and an S3 run of each would lengthen CI for little.
 */
enum Setup {
    SQLITE(Backend.SQLITE, false),
    POSTGRES(Backend.POSTGRES, false),
    POSTGRES_S3(Backend.POSTGRES, true);

    final Backend backend;
    final boolean s3;

    Setup(Backend backend, boolean s3) {
        this.backend = backend;
        this.s3 = s3;
    }

    TestRegistry start() {
        return start(UnaryOperator.identity());
    }

    /**
     * A registry of its own: a fresh data directory and database and, on S3, a fresh bucket of the JVM's one
     * s3proxy ({@link S3Store#shared()}: started once for the suite instead of once per class).
     */
    TestRegistry start(UnaryOperator<Config> tweak) {
        if (!s3) {
            return TestRegistry.start(backend, tweak);
        }
        // the bucket is made once the database is, so a run skipped for want of PostgreSQL starts no s3proxy
        return TestRegistry.start(backend, config -> tweak.apply(
                config.withStorage(new StorageConfig.S3(S3Store.shared().bucket("berth/")))));
    }
}
