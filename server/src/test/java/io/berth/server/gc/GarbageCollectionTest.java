package io.berth.server.gc;

import static io.berth.server.gc.Images.assertIntact;
import static io.berth.server.gc.Images.assertManifestGone;
import static io.berth.server.gc.Images.blobFile;
import static io.berth.server.gc.Images.collect;
import static io.berth.server.gc.Images.collected;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.GcConfig;
import io.berth.server.gc.Images.Image;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.Backend;
import io.berth.server.testing.MutableClock;
import io.berth.server.testing.RepositorySummaries;
import io.berth.server.testing.TestRegistry;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * What garbage collection takes, and when: on a registry whose collector judges ages by a clock the tests move
 * forward (grace 1h, referrers delay 24h, untagged manifests collected after 2h under {@code untagged/**} only).
 * Collections run registry-wide, so each test looks only at its own repositories in the reports.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Backend.class)
@ResourceLock("io.berth.server.gc.GarbageCollectionTest")
class GarbageCollectionTest {
    private static final Duration GRACE = Duration.ofHours(1);
    private static final Duration REFERRERS_DELAY = Duration.ofHours(24);
    private static final Duration UNTAGGED_AGE = Duration.ofHours(2);
    private static final MutableClock CLOCK = new MutableClock();

    @Parameter
    Backend backend;

    static TestRegistry registry;
    static RegistryClient client;

    @BeforeParameterizedClassInvocation
    static void startRegistry(Backend backend) {
        registry = TestRegistry.start(backend, config -> config.withGc(new GcConfig(Duration.ZERO, GRACE,
                REFERRERS_DELAY, List.of(new GcConfig.UntaggedRule(List.of("untagged/**"), UNTAGGED_AGE)))), CLOCK);
        client = new RegistryClient(registry.url());
    }

    @AfterParameterizedClassInvocation
    static void stopRegistry() {
        registry.close();
    }

    @BeforeEach
    void realTime() {
        CLOCK.reset();
    }

    @AfterEach
    void summariesMatchTheirRows() {
        RepositorySummaries.assertExact(registry.config().effectiveMetadataUrl());
    }

    @Test
    void aBlobUploadedWithoutAManifestSurvivesTheGraceAndGoesAfterIt() {
        String repository = uniqueRepository("grace");
        byte[] blob = TestContent.randomBytes(2048);
        String digest = client.pushBlob(repository, blob);

        CLOCK.advance(GRACE.minusMinutes(5));
        JsonNode early = collect(client);

        assertThat(collected(early, "blob")).doesNotContain(digest);
        assertThat(client.head("/v2/" + repository + "/blobs/" + digest).statusCode()).isEqualTo(200);

        CLOCK.advance(Duration.ofMinutes(10));
        JsonNode late = collect(client);

        assertThat(collected(late, "link")).contains(repository + "@" + digest);
        assertThat(collected(late, "blob")).contains(digest);
        assertThat(late.path("bytesFreed").asLong()).isGreaterThanOrEqualTo(blob.length);
        assertThat(late.path("collected").path("blobs").path("count").asLong()).isPositive();
        assertThat(late.path("tookMillis").isNumber()).isTrue();
        assertThat(client.head("/v2/" + repository + "/blobs/" + digest).statusCode()).isEqualTo(404);
        assertThat(blobFile(registry.dataDir(), digest)).doesNotExist();
    }

    @Test
    void uploadingABlobAgainRenewsItsLink() throws Exception {
        String repository = uniqueRepository("relink");
        byte[] renewed = TestContent.randomBytes(700);
        byte[] stale = TestContent.randomBytes(701);
        client.pushBlob(repository, renewed);
        client.pushBlob(repository, stale);
        // As if both were uploaded two hours ago; then one is uploaded again, as a client does before its manifest.
        backdateLinks(repository, Duration.ofHours(2));
        client.pushBlob(repository, renewed);

        JsonNode report = collect(client);

        assertThat(collected(report, "link")).contains(repository + "@" + sha256(stale))
                .doesNotContain(repository + "@" + sha256(renewed));
        assertThat(client.head("/v2/" + repository + "/blobs/" + sha256(renewed)).statusCode()).isEqualTo(200);
        assertThat(blobFile(registry.dataDir(), sha256(renewed))).exists();
    }

    @Test
    void nothingReachableFromATagIsCollected() {
        String repository = uniqueRepository("untagged/tagged");
        Image amd64 = Images.pushImage(client, repository, null, 2);
        Image arm64 = Images.pushImage(client, repository, null, 1);
        Image index = Images.pushIndex(client, repository, "multi", List.of(amd64, arm64));
        Image single = Images.pushImage(client, repository, "single", 3);
        Image taggedSignature = Images.pushReferrer(client, single, "single-signature");
        Image signature = Images.pushReferrer(client, single, null);

        CLOCK.advance(Duration.ofDays(30));
        JsonNode report = collect(client);

        assertThat(report.path("items").toString()).doesNotContain(repository);
        for (Image image : List.of(amd64, arm64, index, single, taggedSignature, signature)) {
            assertIntact(client, image);
        }
    }

    @Test
    void untaggedManifestsGoOnlyWhereConfiguredAndOnceOldEnough() {
        String configured = uniqueRepository("untagged/app");
        String other = uniqueRepository("kept/app");
        Image untagged = Images.pushImage(client, configured, null, 2);
        Image tagged = Images.pushImage(client, configured, "latest", 1);
        Image elsewhere = Images.pushImage(client, other, null, 1);

        CLOCK.advance(UNTAGGED_AGE.minusMinutes(30));
        assertThat(collected(collect(client), "manifest")).doesNotContain(untagged.reference());
        assertIntact(client, untagged);

        CLOCK.advance(Duration.ofHours(1));
        JsonNode report = collect(client);

        assertThat(collected(report, "manifest")).contains(untagged.reference())
                .doesNotContain(tagged.reference(), elsewhere.reference());
        assertThat(collected(report, "blob")).containsAll(untagged.blobDigests());
        assertManifestGone(client, untagged);
        for (String digest : untagged.blobDigests()) {
            assertThat(blobFile(registry.dataDir(), digest)).doesNotExist();
        }
        assertIntact(client, tagged);
        assertIntact(client, elsewhere);
    }

    @Test
    void theChildrenOfAnUntaggedIndexGoInTheSameCollection() {
        String repository = uniqueRepository("untagged/multi");
        Image amd64 = Images.pushImage(client, repository, null, 1);
        Image arm64 = Images.pushImage(client, repository, null, 1);
        Image index = Images.pushIndex(client, repository, "multi", List.of(amd64, arm64));
        assertThat(client.delete("/v2/" + repository + "/manifests/multi").statusCode()).isEqualTo(202);

        CLOCK.advance(UNTAGGED_AGE.plusHours(1));
        JsonNode report = collect(client);

        assertThat(collected(report, "manifest"))
                .contains(index.reference(), amd64.reference(), arm64.reference());
        assertThat(collected(report, "blob")).containsAll(amd64.blobDigests()).containsAll(arm64.blobDigests());
        for (Image image : List.of(index, amd64, arm64)) {
            assertManifestGone(client, image);
        }
    }

    @Test
    void aDeletedBlobsBytesGoOnceNoRepositoryLinksOrReferencesIt() {
        String first = uniqueRepository("delete-blob");
        String second = uniqueRepository("delete-blob");
        byte[] alone = TestContent.randomBytes(4096);
        byte[] shared = TestContent.randomBytes(4097);
        client.pushBlob(first, alone);
        client.pushBlob(first, shared);
        Image image = Images.pushImage(client, second, "app", List.of(TestContent.imageConfig("arm"), shared), null);
        CLOCK.advance(GRACE.plusMinutes(1));

        for (byte[] blob : List.of(alone, shared)) {
            assertThat(client.delete("/v2/" + first + "/blobs/" + sha256(blob)).statusCode()).isEqualTo(202);
        }
        JsonNode report = collect(client);

        assertThat(collected(report, "blob")).contains(sha256(alone)).doesNotContain(sha256(shared));
        assertThat(blobFile(registry.dataDir(), sha256(alone))).doesNotExist();
        assertIntact(client, image);

        assertThat(client.delete("/v2/" + second + "/manifests/" + image.digest()).statusCode()).isEqualTo(202);
        report = collect(client);

        assertThat(collected(report, "blob")).contains(sha256(shared));
        assertThat(blobFile(registry.dataDir(), sha256(shared))).doesNotExist();
    }

    @Test
    void referrersOfADeletedSubjectGoAfterTheDelayAndTheirOwnReferrersWithThem() {
        String repository = uniqueRepository("referrers");
        Image subject = Images.pushImage(client, repository, "app", 1);
        Image sbom = Images.pushReferrer(client, subject, null);
        Image sbomSignature = Images.pushReferrer(client, sbom, null);
        Image taggedSignature = Images.pushReferrer(client, subject, "app-signature");
        assertThat(client.delete("/v2/" + repository + "/manifests/" + subject.digest()).statusCode()).isEqualTo(202);

        collect(client);
        CLOCK.advance(REFERRERS_DELAY.minusHours(1));
        JsonNode early = collect(client);

        assertThat(collected(early, "referrer")).doesNotContain(sbom.reference(), sbomSignature.reference());
        assertThat(collected(early, "blob")).containsAll(subject.blobDigests());
        assertIntact(client, sbom);
        assertIntact(client, sbomSignature);

        CLOCK.advance(Duration.ofHours(2));
        JsonNode late = collect(client);

        assertThat(collected(late, "referrer")).contains(sbom.reference(), sbomSignature.reference())
                .doesNotContain(taggedSignature.reference());
        assertManifestGone(client, sbom);
        assertManifestGone(client, sbomSignature);
        assertIntact(client, taggedSignature);
        String signatureLayer = sbomSignature.blobDigests().get(1);
        assertThat(collected(late, "blob")).contains(signatureLayer);
        assertThat(blobFile(registry.dataDir(), signatureLayer)).doesNotExist();
    }

    @Test
    void aReferrerPushedBeforeItsSubjectWaitsTheDelayFromItsOwnPush() {
        String repository = uniqueRepository("early-referrer");
        byte[] neverPushed = TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, TestContent.imageConfig("s390x")), List.of()));
        Image orphan = Images.pushReferrer(client, repository,
                TestContent.descriptor(TestContent.OCI_MANIFEST, neverPushed), null);
        List<byte[]> laterBlobs = List.of(TestContent.imageConfig("riscv64"), TestContent.randomBytes(99));
        byte[] later = laterManifest(laterBlobs);
        Image adopted = Images.pushReferrer(client, repository,
                TestContent.descriptor(TestContent.OCI_MANIFEST, later), null);

        CLOCK.advance(REFERRERS_DELAY.minusHours(1));
        assertThat(collected(collect(client), "referrer")).doesNotContain(orphan.reference());
        Images.pushImage(client, repository, "later", laterBlobs, null);

        CLOCK.advance(Duration.ofHours(2));
        JsonNode report = collect(client);

        assertThat(collected(report, "referrer")).contains(orphan.reference()).doesNotContain(adopted.reference());
        assertManifestGone(client, orphan);
        assertIntact(client, adopted);
    }

    @Test
    void referrersOfALiveSubjectStay() {
        String repository = uniqueRepository("untagged/live");
        Image subject = Images.pushImage(client, repository, "app", 1);
        Image signature = Images.pushReferrer(client, subject, null);
        Image countersignature = Images.pushReferrer(client, signature, null);

        CLOCK.advance(REFERRERS_DELAY.multipliedBy(3));
        JsonNode report = collect(client);

        assertThat(report.path("items").toString()).doesNotContain(repository);
        assertIntact(client, signature);
        assertIntact(client, countersignature);
    }

    @Test
    void aDryRunListsWhatACollectionDeletesAndDeletesNothing() {
        String repository = uniqueRepository("untagged/dry");
        Image untagged = Images.pushImage(client, repository, null, 2);
        byte[] loose = TestContent.randomBytes(1000);
        client.pushBlob(repository, loose);
        Set<String> ours = new HashSet<>(untagged.blobDigests());
        ours.add(sha256(loose));
        CLOCK.advance(UNTAGGED_AGE.plusHours(1));

        JsonNode dry = Images.dryRun(client);

        assertThat(collected(dry, "manifest")).contains(untagged.reference());
        assertThat(collected(dry, "blob")).containsAll(ours);
        assertIntact(client, untagged);
        assertThat(client.head("/v2/" + repository + "/blobs/" + sha256(loose)).statusCode()).isEqualTo(200);
        for (String digest : ours) {
            assertThat(blobFile(registry.dataDir(), digest)).exists();
        }

        JsonNode real = collect(client);

        for (String kind : List.of("manifest", "link", "blob")) {
            assertThat(ofRepository(collected(real, kind), repository, ours))
                    .as(kind).isEqualTo(ofRepository(collected(dry, kind), repository, ours));
        }
        assertManifestGone(client, untagged);
    }

    @Test
    void expiredUploadSessionsGoWithTheirBytes() {
        String repository = uniqueRepository("upload");
        String session = client.startUpload(repository);
        assertThat(client.patch(session, TestContent.randomBytes(100), "Content-Type", "application/octet-stream")
                .statusCode()).isEqualTo(202);
        String id = session.substring(session.lastIndexOf('/') + 1).split("\\?")[0];

        CLOCK.advance(registry.config().uploadExpiry().plusMinutes(1));
        JsonNode report = collect(client);

        assertThat(collected(report, "upload")).contains(id);
        assertThat(client.get(session).statusCode()).isEqualTo(404);
        assertThat(Files.exists(registry.dataDir().resolve("uploads").resolve(id))).isFalse();
    }

    /** The items of a kind that are about this repository or these blobs. */
    private static Set<String> ofRepository(Set<String> items, String repository, Set<String> digests) {
        Set<String> result = new HashSet<>();
        for (String item : items) {
            if (item.startsWith(repository + "@") || digests.contains(item)) {
                result.add(item);
            }
        }
        return result;
    }

    private static byte[] laterManifest(List<byte[]> blobs) {
        List<java.util.Map<String, Object>> layers = new ArrayList<>();
        for (byte[] layer : blobs.subList(1, blobs.size())) {
            layers.add(TestContent.descriptor(TestContent.OCI_LAYER, layer));
        }
        return TestContent.toJson(TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_CONFIG, blobs.getFirst()), layers));
    }

    /** Moves the times of a repository's blob links into the past, as if the uploads had happened then. */
    private static void backdateLinks(String repository, Duration by) throws Exception {
        try (Connection connection = DriverManager.getConnection(registry.config().effectiveMetadataUrl());
             PreparedStatement update = connection.prepareStatement("UPDATE repository_blobs SET created_at = "
                     + "created_at - ? WHERE repository_id = (SELECT id FROM repositories WHERE name = ?)")) {
            update.setLong(1, by.toMillis());
            update.setString(2, repository);
            assertThat(update.executeUpdate()).isPositive();
        }
    }
}
