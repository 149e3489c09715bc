package io.berth.s3;

import io.berth.registry.blob.BlobStore;
import io.berth.registry.blob.BlobStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The S3 store, on s3proxy, against the contract every store keeps. */
class S3BlobStoreContractTest extends BlobStoreContract {
    private static S3Proxy s3proxy;
    private static int buckets;
    private S3Settings settings;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        s3proxy = S3Proxy.start();
    }

    @AfterAll
    static void stopS3Proxy() {
        if (s3proxy != null) {
            s3proxy.close();
        }
    }

    @Override
    protected BlobStore openEmpty() {
        // A bucket per test, and a prefix, so that the keys of the store never start at the bucket's root.
        settings = s3proxy.bucket("berth-test-" + ++buckets, "registry/");
        return S3BlobStore.open(settings);
    }

    @Override
    protected BlobStore openAnother() {
        return S3BlobStore.open(settings);
    }
}
