package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.metadata.SqlMetadataStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the in-memory caches serve always follows the database, read after read, change after change. */
class RegistryCacheTest {
    @TempDir
    Path root;
    private SqlMetadataStore metadata;
    private Registry registry;
    private Digest config;

    @BeforeEach
    void open() throws Exception {
        FileSystemBlobStore blobs = new FileSystemBlobStore(root);
        metadata = SqlMetadataStore.open("jdbc:sqlite:" + root.resolve("metadata.db"), null, null);
        registry = new Registry(blobs, metadata, RegistryOptions.DEFAULTS);
        byte[] configBytes = "{}".getBytes(StandardCharsets.UTF_8);
        config = new Uploads(blobs, metadata, RegistryOptions.DEFAULTS)
                .putMonolithic("repo", Digest.sha256(configBytes).toString(), new ByteArrayInputStream(configBytes));
    }

    @AfterEach
    void close() {
        metadata.close();
    }

    private byte[] manifest(String note, Digest subject) {
        String subjectField = subject == null ? "" : ",\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"digest\":\"" + subject + "\",\"size\":1}";
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.example+json\",\"digest\":\"" + config + "\",\"size\":2},\"layers\":[],"
                + "\"annotations\":{\"note\":\"" + note + "\"}" + subjectField + "}").getBytes(StandardCharsets.UTF_8);
    }

    private Digest push(String reference, byte[] payload) {
        return registry.putManifest("repo", reference, MediaTypes.OCI_MANIFEST, payload, List.of()).digest();
    }

    @Test
    void aMovedTagIsServedWithItsNewManifestAtOnce() {
        push("latest", manifest("one", null));
        assertThat(registry.cachedManifest("repo", "latest")).isEmpty();
        registry.manifest("repo", "latest");
        assertThat(registry.cachedManifest("repo", "latest")).isPresent();

        Digest second = push("latest", manifest("two", null));

        assertThat(registry.manifest("repo", "latest").digest()).isEqualTo(second);
    }

    @Test
    void aTagDeletedWithItsManifestStaysGoneWhenTheManifestReturnsUntagged() {
        byte[] payload = manifest("gone", null);
        Digest digest = push("v1", payload);
        registry.manifest("repo", "v1");

        registry.deleteManifest("repo", digest.toString());
        push(digest.toString(), payload);

        assertThatThrownBy(() -> registry.manifest("repo", "v1")).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN));
        assertThat(registry.cachedManifest("repo", "v1")).isEmpty();
    }

    @Test
    void referrersListingsShowANewReferrerAndForgetADeletedOne() {
        Digest subject = push("subject", manifest("subject", null));
        assertThat(registry.referrers("repo", subject, null, null, 100).items()).isEmpty();

        Digest signature = push(Digest.sha256(manifest("sig", subject)).toString(), manifest("sig", subject));
        assertThat(registry.referrers("repo", subject, null, null, 100).items())
                .extracting(descriptor -> descriptor.digest()).containsExactly(signature);

        registry.deleteManifest("repo", signature.toString());
        assertThat(registry.referrers("repo", subject, null, null, 100).items()).isEmpty();
    }
}
