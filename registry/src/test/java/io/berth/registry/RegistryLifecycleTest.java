package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.registry.metadata.Image;
import io.berth.registry.metadata.Pull;
import io.berth.registry.metadata.SqlMetadataStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What lifecycle policies rely on in the registry: the images they count, batched pull times, safe expiry. */
class RegistryLifecycleTest {
    private static final String REPO = "team/app";

    @TempDir
    Path root;
    private SqlMetadataStore metadata;
    private Registry registry;
    private ManifestFixture fixture;

    @BeforeEach
    void open() throws Exception {
        fixture = new ManifestFixture(root, REPO);
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

    private Digest pushIndex(String reference, Digest... children) {
        StringBuilder manifests = new StringBuilder();
        for (Digest child : children) {
            long size = registry.manifest(REPO, child.toString()).size();
            manifests.append(manifests.isEmpty() ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST)
                    .append("\",\"digest\":\"").append(child).append("\",\"size\":").append(size).append('}');
        }
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + manifests + "]}").getBytes(StandardCharsets.UTF_8);
        return registry.putManifest(REPO, reference, MediaTypes.OCI_INDEX, index, List.of()).digest();
    }

    private Image image(Digest digest) {
        return registry.images(REPO).stream().filter(image -> image.digest().equals(digest)).findFirst().orElseThrow();
    }

    private boolean exists(Digest digest) {
        return metadata.manifest(REPO, digest).isPresent();
    }

    @Test
    void imagesAreTheManifestsThatAreNeitherReferrersNorIndexChildren() {
        Digest amd64 = push(Digest.sha256(manifest("amd64", null)).toString(), manifest("amd64", null));
        Digest arm64 = push(Digest.sha256(manifest("arm64", null)).toString(), manifest("arm64", null));
        Digest index = pushIndex("multi", amd64, arm64);
        Digest single = push("single", manifest("single", null));
        Digest signature = push(Digest.sha256(manifest("sig", single)).toString(), manifest("sig", single));
        registry.putManifest(REPO, "also", MediaTypes.OCI_MANIFEST, manifest("single", null), List.of());

        assertThat(registry.images(REPO)).extracting(Image::digest).containsExactlyInAnyOrder(index, single)
                .doesNotContain(amd64, arm64, signature);
        assertThat(image(single).tags()).containsExactly("also", "single");
        assertThat(image(index).tags()).containsExactly("multi");
        assertThat(image(single).lastPulledAt()).isNull();
    }

    @Test
    void pullTimesReachTheDatabaseOnlyWhenFlushedAndOnlyMoveForward() {
        Digest digest = push("v1", manifest("v1", null));

        registry.pulled(REPO, digest);
        registry.pulled(REPO, digest);
        assertThat(image(digest).lastPulledAt()).isNull();

        assertThat(registry.flushPulls()).isEqualTo(1);
        Instant pulled = image(digest).lastPulledAt();
        assertThat(pulled).isNotNull().isAfter(image(digest).pushedAt().minusSeconds(1));
        assertThat(registry.flushPulls()).isZero();

        metadata.recordPulls(List.of(new Pull(REPO, digest, pulled.minusSeconds(3600), 1),
                new Pull(REPO, Digest.sha256(new byte[] {1}), pulled, 1), new Pull("nowhere", digest, pulled, 1)),
                false);
        assertThat(image(digest).lastPulledAt()).isEqualTo(pulled);
    }

    @Test
    void anExpiredImageIsGoneWithItsTagsAlsoFromTheCache() {
        Digest digest = push("v1", manifest("v1", null));
        registry.putManifest(REPO, "stable", MediaTypes.OCI_MANIFEST, manifest("v1", null), List.of());
        registry.manifest(REPO, "v1");
        registry.manifest(REPO, "stable");
        assertThat(registry.cachedManifest(REPO, "v1")).isPresent();
        assertThat(registry.tags(REPO, null, 10).size()).isEqualTo(2);
        assertThat(registry.cachedTags(REPO, null, 10)).isPresent();

        assertThat(registry.expireImage(REPO, image(digest))).containsExactly(digest);

        assertThat(registry.cachedManifest(REPO, "v1")).isEmpty();
        for (String reference : List.of("v1", "stable", digest.toString())) {
            assertThatThrownBy(() -> registry.manifest(REPO, reference)).isInstanceOfSatisfying(
                    RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN));
        }
        assertThat(registry.cachedTags(REPO, null, 10)).isEmpty();
        assertThat(registry.tags(REPO, null, 10).size()).isZero();
    }

    @Test
    void anExpiredImageIsRecordedAsDeletedForItsReferrersAndForOtherProcesses() throws Exception {
        Digest digest = push("v1", manifest("v1", null));
        push(Digest.sha256(manifest("sbom", digest)).toString(), manifest("sbom", digest));
        long epoch = metadata.manifestEpoch();
        long before = System.currentTimeMillis();

        assertThat(registry.expireImage(REPO, image(digest))).containsExactly(digest);

        // garbage collection counts the referrers' delay from this time, not from their own (older) push
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + root.resolve("metadata.db"));
             PreparedStatement query = c.prepareStatement(
                     "SELECT deleted_at FROM deleted_manifests WHERE digest = ?")) {
            query.setString(1, digest.toString());
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as("deletion recorded").isTrue();
                assertThat(row.getLong(1)).isGreaterThanOrEqualTo(before);
            }
        }
        // a server on the same SQLite file (`berth lifecycle apply` beside it) drops its cached manifests
        assertThat(metadata.manifestEpoch()).isGreaterThan(epoch);
    }

    @Test
    void anImageThatChangedSinceItWasEvaluatedIsLeftAlone() {
        Digest retagged = push("v1", manifest("v1", null));
        Image evaluated = image(retagged);
        registry.putManifest(REPO, "pinned", MediaTypes.OCI_MANIFEST, manifest("v1", null), List.of());

        Digest untagged = push(Digest.sha256(manifest("loose", null)).toString(), manifest("loose", null));
        Image looseEvaluated = image(untagged);
        pushIndex("bundle", untagged);

        assertThat(registry.expireImage(REPO, evaluated)).isEmpty();
        assertThat(registry.expireImage(REPO, looseEvaluated)).isEmpty();
        assertThat(exists(retagged)).isTrue();
        assertThat(exists(untagged)).isTrue();

        // Evaluated afresh, the retagged image goes with both tags; the other is an index's child, no image now.
        assertThat(registry.expireImage(REPO, image(retagged))).containsExactly(retagged);
        assertThat(registry.images(REPO)).extracting(Image::digest).doesNotContain(untagged);
    }

    @Test
    void anExpiredIndexTakesTheChildrenNothingElseKeeps() {
        Digest only = push(Digest.sha256(manifest("only", null)).toString(), manifest("only", null));
        Digest tagged = push("amd64", manifest("tagged", null));
        Digest shared = push(Digest.sha256(manifest("shared", null)).toString(), manifest("shared", null));
        Digest index = pushIndex("v1", only, tagged, shared);
        Digest other = pushIndex("v2", shared);

        assertThat(registry.expireImage(REPO, image(index))).containsExactly(index, only);

        assertThat(exists(index)).isFalse();
        assertThat(exists(only)).isFalse();
        assertThat(exists(tagged)).isTrue();
        assertThat(exists(shared)).isTrue();
        assertThat(registry.images(REPO)).extracting(Image::digest).containsExactlyInAnyOrder(tagged, other);
    }
}
