package io.berth.registry.blob;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The filesystem store against the contract every store keeps. */
class FileSystemBlobStoreContractTest extends BlobStoreContract {
    @TempDir
    Path root;

    @Override
    protected BlobStore openEmpty() throws Exception {
        return new FileSystemBlobStore(root);
    }

    @Override
    protected BlobStore openAnother() throws Exception {
        return new FileSystemBlobStore(root);
    }
}
