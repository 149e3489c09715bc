package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.registry.metadata.SqlMetadataStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

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
        assertThat(referrers(subject)).isEmpty();

        Digest signature = push(Digest.sha256(manifest("sig", subject)).toString(), manifest("sig", subject));
        assertThat(referrers(subject)).containsExactly(signature.toString());
        assertThat(registry.cachedReferrers("repo", subject, null, null, 100)).get()
                .extracting(RenderedPage::size).isEqualTo(1);

        registry.deleteManifest("repo", signature.toString());
        assertThat(referrers(subject)).isEmpty();
    }

    @Test
    void tagsPagesFollowEveryTagChange() {
        byte[] payload = manifest("tagged", null);
        Digest digest = push("v1", payload);
        assertThat(tags(null, 10)).containsExactly("v1");
        assertThat(registry.cachedTags("repo", null, 10)).isPresent();

        push("v2", payload);
        assertThat(registry.cachedTags("repo", null, 10)).isEmpty();
        assertThat(tags(null, 10)).containsExactly("v1", "v2");
        // every tag was read at once: any other page is made in memory
        assertThat(registry.cachedTags("repo", "v1", 5)).get().extracting(RenderedPage::size).isEqualTo(1);
        assertThat(registry.cachedTags("repo", "v0", 1)).get().extracting(RenderedPage::last).isEqualTo("v1");
        assertThat(tags(null, 1)).containsExactly("v1");
        assertThat(registry.tags("repo", null, 1).last()).isEqualTo("v1");
        assertThat(tags("v1", 1)).containsExactly("v2");

        registry.deleteManifest("repo", "v1");
        assertThat(tags(null, 10)).containsExactly("v2");

        push("v3", manifest("other", null));
        registry.deleteManifest("repo", digest.toString()); // with its tag v2
        assertThat(tags(null, 10)).containsExactly("v3");
        assertThat(tags("v1", 1)).containsExactly("v3");
    }

    /** The tags the tags page after {@code last} lists, of the {@code n} asked for. */
    private List<String> tags(String last, int n) {
        RenderedPage page = registry.tags("repo", last, n);
        var body = JsonMapper.builder().build().readTree(page.json());
        assertThat(body.get("name").asString()).isEqualTo("repo");
        List<String> tags = body.get("tags").valueStream().map(tag -> tag.asString()).toList();
        assertThat(tags).hasSize(page.size());
        return tags;
    }

    /** The digests the referrers index of {@code subject} lists. */
    private List<String> referrers(Digest subject) {
        RenderedPage page = registry.referrers("repo", subject, null, null, 100);
        List<String> digests = JsonMapper.builder().build().readTree(page.json()).get("manifests").valueStream()
                .map(descriptor -> descriptor.get("digest").asString()).toList();
        assertThat(digests).hasSize(page.size());
        return digests;
    }
}
