package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.registry.metadata.SqlMetadataStore;
import java.nio.file.Path;
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
    private ManifestFixture fixture;

    @BeforeEach
    void open() throws Exception {
        fixture = new ManifestFixture(root, "repo");
        metadata = fixture.metadata;
        registry = fixture.registry;
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    private byte[] manifest(String note, Digest subject) {
        return fixture.manifest(note, subject);
    }

    private Digest push(String reference, byte[] payload) {
        return fixture.push(reference, payload);
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
