package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.metadata.SqlMetadataStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** A registry on SQLite under a directory, with a config blob in one repository and OCI manifests that use it. */
final class ManifestFixture implements AutoCloseable {
    final String repository;
    final SqlMetadataStore metadata;
    final Registry registry;
    final Digest config;

    ManifestFixture(Path root, String repository) throws IOException {
        this.repository = repository;
        FileSystemBlobStore blobs = new FileSystemBlobStore(root);
        metadata = SqlMetadataStore.open("jdbc:sqlite:" + root.resolve("metadata.db"), null, null);
        registry = new Registry(blobs, metadata, RegistryOptions.DEFAULTS);
        byte[] configBytes = "{}".getBytes(StandardCharsets.UTF_8);
        config = new Uploads(blobs, metadata, RegistryOptions.DEFAULTS).putMonolithic(repository,
                Digest.sha256(configBytes).toString(), new ByteArrayInputStream(configBytes));
    }

    /** An image manifest without layers, told apart by {@code note}, referring to {@code subject} unless null. */
    byte[] manifest(String note, Digest subject) {
        String subjectField = subject == null ? "" : ",\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"digest\":\"" + subject + "\",\"size\":1}";
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.example+json\",\"digest\":\"" + config + "\",\"size\":2},\"layers\":[],"
                + "\"annotations\":{\"note\":\"" + note + "\"}" + subjectField + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** Pushes an image manifest to the repository as {@code reference}. */
    Digest push(String reference, byte[] payload) {
        return registry.putManifest(repository, reference, MediaTypes.OCI_MANIFEST, payload, List.of()).digest();
    }

    @Override
    public void close() {
        metadata.close();
    }
}
