package io.berth.server.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.Artifacts;
import io.berth.client.ArtifactFile;
import io.berth.client.CopyResult;
import io.berth.client.ImageCopier;
import io.berth.client.ProgressListener;
import io.berth.client.PushedManifest;
import io.berth.client.ReferrerTree;
import io.berth.client.Referrers;
import io.berth.client.RegistryClient;
import io.berth.client.Repository;
import io.berth.client.testing.Distribution;
import io.berth.client.testing.TestImages;
import io.berth.client.testing.TestImages.ReferredIndex;
import io.berth.oci.Descriptor;
import io.berth.oci.Manifest;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import land.oras.ContainerRef;
import land.oras.ManifestDescriptor;
import land.oras.Registry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry client copying between Berth, which has the referrers API, and CNCF Distribution 2.8.2, which has the
 * referrers tag schema only: images come back with the same digests and every referrer, listed each registry's way.
 */
class BerthCopyTest {
    @TempDir
    static Path dir;
    static TestRegistry berth;
    static Distribution distribution;
    static RegistryClient onBerth;
    static RegistryClient onDistribution;

    @BeforeAll
    static void start() throws Exception {
        distribution = Distribution.start(dir.resolve("distribution"));
        berth = TestRegistry.start(Backend.SQLITE);
        onBerth = RegistryClient.builder(berth.hostPort()).plainHttp(true).build();
        onDistribution = RegistryClient.builder(distribution.address()).plainHttp(true).build();
    }

    @AfterAll
    static void stop() {
        if (berth != null) {
            berth.close();
        }
        if (distribution != null) {
            distribution.close();
        }
    }

    @Test
    void anIndexWithItsReferrersGoesToDistributionAndBackUnchanged() throws Exception {
        Repository origin = onBerth.repository("round/app");
        ReferredIndex f = TestImages.referredIndex(origin, "v1", 100);
        Repository away = onDistribution.repository("round/app");
        Repository back = onBerth.repository("round/back");
        ImageCopier copier = ImageCopier.builder().referrers(true).build();

        CopyResult there = copier.copy(origin, "v1", away, "v1");
        CopyResult home = copier.copy(away, "v1", back, "v1");

        assertThat(there.manifest()).isEqualTo(f.index());
        assertThat(home.manifest()).isEqualTo(f.index());
        assertThat(there.referrersCopied()).isEqualTo(4);
        assertThat(home.referrersCopied()).isEqualTo(4);
        for (Repository copy : List.of(away, back)) {
            assertThat(copy.pullManifest("v1").bytes()).isEqualTo(origin.pullManifest("v1").bytes());
            for (Descriptor manifest : List.of(f.amd64().manifest(), f.arm64().manifest(), f.signature(), f.sbom(),
                    f.sbomSignature(), f.childSignature())) {
                assertThat(copy.pullManifest(manifest.digest().toString()).bytes())
                        .isEqualTo(origin.pullManifest(manifest.digest().toString()).bytes());
            }
            assertReferrers(copy, f);
        }
        assertThat(away.referrers(f.index().digest(), null).fromApi()).isFalse();
        assertThat(Referrers.tagFor(f.index().digest())).isIn(away.tags());
        assertThat(back.referrers(f.index().digest(), null).fromApi()).isTrue();
        assertThat(back.tags()).containsExactly("v1");
    }

    private static void assertReferrers(Repository repository, ReferredIndex f) throws Exception {
        assertThat(repository.referrers(f.index().digest(), null).manifests())
                .extracting(Descriptor::digest, Descriptor::artifactType)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(f.signature().digest(), TestImages.SIGNATURE),
                        org.assertj.core.groups.Tuple.tuple(f.sbom().digest(), TestImages.SBOM));
        assertThat(repository.referrers(f.sbom().digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactly(f.sbomSignature().digest());
        assertThat(repository.referrers(f.amd64().manifest().digest(), null).manifests())
                .extracting(Descriptor::digest).containsExactly(f.childSignature().digest());
    }

    @Test
    void aPlatformSubsetCarriesOnlyTheChosenChild() throws Exception {
        Repository origin = onBerth.repository("subset/app");
        ReferredIndex f = TestImages.referredIndex(origin, "v1", 200);
        Repository target = onDistribution.repository("subset/app");

        CopyResult result = ImageCopier.builder().platform("linux/amd64").referrers(true).build()
                .copy(origin, "v1", target, "amd64");

        Manifest index = target.pullManifest("amd64").parsed();
        assertThat(result.manifest().digest()).isNotEqualTo(f.index().digest());
        assertThat(index.children()).extracting(Descriptor::digest).containsExactly(f.amd64().manifest().digest());
        assertThat(target.resolve(f.arm64().manifest().digest().toString())).isEmpty();
        // The child's own signature comes along; the index's referrers name an index the target does not hold.
        assertThat(result.referrersCopied()).isEqualTo(1);
        assertThat(target.referrers(f.amd64().manifest().digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactly(f.childSignature().digest());
        assertThat(result.blobsCopied()).isEqualTo(3 + 1 + 1);
    }

    @Test
    void blobsTheTargetHoldsAreNotSentAgain() throws Exception {
        Repository origin = onDistribution.repository("skip/app");
        ReferredIndex f = TestImages.referredIndex(origin, "v1", 300);
        Repository target = onBerth.repository("skip/app");
        ImageCopier copier = ImageCopier.create();
        CopyResult firstCopy = copier.copy(origin, "v1", target, "v1");
        TestImages.Image next = TestImages.image(origin, "linux/amd64", 300_000, 300, 399);

        CopyResult again = copier.copy(origin, "v1", target, "v1");
        CopyResult sharing = copier.copy(origin, next.manifest().digest().toString(), target, "v2");

        assertThat(firstCopy.blobsCopied()).isEqualTo(6);
        assertThat(again.blobsCopied()).isZero();
        assertThat(again.bytesCopied()).isZero();
        assertThat(sharing.blobsCopied()).isEqualTo(1);
        assertThat(sharing.blobsSkipped()).isEqualTo(2);
        assertThat(target.resolve("v2")).contains(next.manifest());
        assertThat(target.resolve("v1")).contains(f.index());
    }

    @Test
    void withinOneBerthBlobsAreMounted() throws Exception {
        Repository origin = onBerth.repository("mount/from");
        ReferredIndex f = TestImages.referredIndex(origin, "v1", 400);
        Repository target = onBerth.repository("mount/to");

        CopyResult result = ImageCopier.builder().referrers(true).build().copy(origin, "v1", target, "v1");

        // Six image blobs, four artifact payloads and the empty config: all mounted, none sent.
        assertThat(result.blobsMounted()).isEqualTo(6 + 4 + 1);
        assertThat(result.blobsCopied()).isZero();
        assertThat(target.pullManifest("v1").bytes()).isEqualTo(origin.pullManifest("v1").bytes());
        assertReferrers(target, f);
    }

    @Test
    void orasDiscoversWhatAttachPushed() throws Exception {
        Repository repository = onBerth.repository("oras/app");
        Descriptor image = TestImages.image(repository, "linux/amd64", 1000, 500).manifest();
        Path sbomFile = java.nio.file.Files.writeString(dir.resolve("sbom.json"), "{\"spdxVersion\":\"SPDX-2.3\"}");

        PushedManifest sbom = Artifacts.attach(repository, image, TestImages.SBOM,
                List.of(ArtifactFile.of(sbomFile, TestImages.SBOM)), Map.of("made-by", "berth-client"),
                ProgressListener.NONE);
        PushedManifest signature = Artifacts.attach(repository, sbom.descriptor(), TestImages.SIGNATURE, List.of(),
                Map.of(), ProgressListener.NONE);

        assertThat(sbom.subjectProcessed()).isTrue();
        Registry oras = Registry.builder().insecure().build();
        ContainerRef ref = ContainerRef.parse(berth.hostPort() + "/oras/app@" + image.digest());
        List<ManifestDescriptor> listed = oras.getReferrers(ref, null).getManifests();
        assertThat(listed).singleElement().satisfies(d -> {
            assertThat(d.getDigest()).isEqualTo(sbom.descriptor().digest().toString());
            assertThat(d.getArtifactType()).isEqualTo(TestImages.SBOM);
            assertThat(d.getAnnotations()).containsEntry("made-by", "berth-client");
        });
        land.oras.Manifest pulled = oras.getManifest(ContainerRef.parse(berth.hostPort() + "/oras/app@"
                + sbom.descriptor().digest()));
        assertThat(pulled.getSubject().getDigest()).isEqualTo(image.digest().toString());
        assertThat(pulled.getLayers()).singleElement().satisfies(layer -> assertThat(layer.getAnnotations())
                .containsEntry(Artifacts.TITLE, "sbom.json"));
        assertThat(Referrers.tagFor(image.digest())).isNotIn(repository.tags());

        ReferrerTree tree = Artifacts.discover(repository, image, null);
        assertThat(tree.flatten()).extracting(Descriptor::digest)
                .containsExactly(sbom.descriptor().digest(), signature.descriptor().digest());
    }
}
