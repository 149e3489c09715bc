package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.testing.Distribution;
import io.berth.client.testing.TestImages;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artifacts attached to an image and discovered again on CNCF Distribution 2.8.2, which has no referrers API: the
 * referrers tag schema carries them.
 */
class ArtifactsTest {
    static final String SIGNATURE = "application/vnd.example.signature";
    static final String SBOM = "application/spdx+json";

    @TempDir
    static Path dir;
    static Distribution distribution;
    static RegistryClient registry;

    @BeforeAll
    static void start() throws Exception {
        distribution = Distribution.start(dir.resolve("registry"));
        registry = RegistryClient.builder(distribution.address()).plainHttp(true).build();
    }

    @AfterAll
    static void stop() {
        if (distribution != null) {
            distribution.close();
        }
    }

    @Test
    void aSignatureAnSbomAndTheSbomsSignatureAreAttachedThroughTheTagSchemaAndDiscoveredAsATree() throws Exception {
        Repository repository = registry.repository("attach/app");
        Descriptor image = TestImages.image(repository, "linux/amd64", 1000, 1).manifest();
        Path sbomFile = Files.writeString(dir.resolve("sbom.spdx.json"), "{\"spdxVersion\":\"SPDX-2.3\"}");

        PushedManifest signature = Artifacts.attach(repository, image, SIGNATURE,
                List.of(ArtifactFile.of("signature.sig", "application/octet-stream", TestImages.random(256, 2))),
                Map.of("signed-by", "tests"), ProgressListener.NONE);
        PushedManifest sbom = Artifacts.attach(repository, image, SBOM,
                List.of(ArtifactFile.of(sbomFile, SBOM)), Map.of(), ProgressListener.NONE);
        PushedManifest sbomSignature = Artifacts.attach(repository, sbom.descriptor(), SIGNATURE,
                List.of(ArtifactFile.of("signature.sig", "application/octet-stream", TestImages.random(256, 3))),
                Map.of(), ProgressListener.NONE);

        assertThat(signature.subjectProcessed()).isFalse();
        Manifest sbomManifest = repository.pullManifest(sbom.descriptor().digest().toString()).parsed();
        assertThat(sbomManifest.artifactType()).isEqualTo(SBOM);
        assertThat(sbomManifest.config()).isEqualTo(Artifacts.EMPTY);
        assertThat(sbomManifest.config().digest().toString())
                .isEqualTo("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
        assertThat(repository.pullBlobBytes(Artifacts.EMPTY)).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
        assertThat(sbomManifest.layers()).singleElement().satisfies(layer -> {
            assertThat(layer.mediaType()).isEqualTo(SBOM);
            assertThat(layer.annotations()).containsEntry(Artifacts.TITLE, "sbom.spdx.json");
            assertThat(layer.digest()).isEqualTo(Digest.sha256(Files.readAllBytes(sbomFile)));
        });
        assertThat(sbomManifest.subject().digest()).isEqualTo(image.digest());
        assertThat(sbomManifest.annotations()).containsKey(Artifacts.CREATED);

        List<Descriptor> tagged = Referrers.fromIndex(repository.referrersTag(image.digest()).orElseThrow());
        assertThat(tagged).extracting(Descriptor::digest)
                .containsExactly(signature.descriptor().digest(), sbom.descriptor().digest());
        assertThat(tagged.getFirst().artifactType()).isEqualTo(SIGNATURE);
        assertThat(tagged.getFirst().annotations()).containsEntry("signed-by", "tests")
                .containsKey(Artifacts.CREATED);
        assertThat(tagged.get(1).artifactType()).isEqualTo(SBOM);

        ReferrerTree tree = Artifacts.discover(repository, image, null);
        assertThat(tree.descriptor()).isEqualTo(image);
        assertThat(tree.referrers()).extracting(t -> t.descriptor().digest())
                .containsExactly(signature.descriptor().digest(), sbom.descriptor().digest());
        assertThat(tree.referrers().getFirst().referrers()).isEmpty();
        assertThat(tree.referrers().get(1).referrers()).singleElement().satisfies(t -> {
            assertThat(t.descriptor().digest()).isEqualTo(sbomSignature.descriptor().digest());
            assertThat(t.descriptor().artifactType()).isEqualTo(SIGNATURE);
        });

        ReferrerTree sboms = Artifacts.discover(repository, image, SBOM);
        assertThat(sboms.referrers()).singleElement().satisfies(t -> {
            assertThat(t.descriptor().digest()).isEqualTo(sbom.descriptor().digest());
            assertThat(t.referrers()).extracting(r -> r.descriptor().digest())
                    .containsExactly(sbomSignature.descriptor().digest());
        });
        assertThat(Artifacts.discover(repository, image, null, 1).referrers().get(1).referrers()).isEmpty();
    }

    @Test
    void attachingTheSameArtifactTwiceListsItOnce() throws Exception {
        Repository repository = registry.repository("attach/twice");
        Descriptor image = TestImages.image(repository, "linux/amd64", 500, 4).manifest();
        Map<String, String> fixed = Map.of(Artifacts.CREATED, "2026-01-01T00:00:00Z");

        PushedManifest first = Artifacts.attach(repository, image, SIGNATURE, List.of(), fixed, ProgressListener.NONE);
        PushedManifest second = Artifacts.attach(repository, image, SIGNATURE, List.of(), fixed,
                ProgressListener.NONE);

        assertThat(second.descriptor()).isEqualTo(first.descriptor());
        assertThat(repository.referrers(image.digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactly(first.descriptor().digest());
        // Without files, the guidelines' one layer: the empty descriptor.
        Manifest manifest = repository.pullManifest(first.descriptor().digest().toString()).parsed();
        assertThat(manifest.layers()).containsExactly(Artifacts.EMPTY);
    }

    @Test
    void anEmptyCreatedAnnotationLeavesItOut() throws Exception {
        Repository repository = registry.repository("attach/uncreated");
        Descriptor image = TestImages.image(repository, "linux/amd64", 500, 5).manifest();

        PushedManifest artifact = Artifacts.attach(repository, image, SIGNATURE, List.of(),
                Map.of(Artifacts.CREATED, ""), ProgressListener.NONE);

        assertThat(repository.pullManifest(artifact.descriptor().digest().toString()).parsed().annotations())
                .doesNotContainKey(Artifacts.CREATED);
    }

    @Test
    void aTagSchemaIndexThatLoopsIsShownOnceAndNotFollowed() throws Exception {
        Repository repository = registry.repository("attach/loop");
        Descriptor a = TestImages.image(repository, "linux/amd64", 100, 6).manifest();
        Descriptor b = TestImages.image(repository, "linux/amd64", 100, 7).manifest();
        pushTagIndex(repository, a.digest(), b);
        pushTagIndex(repository, b.digest(), a);

        ReferrerTree tree = Artifacts.discover(repository, a, null);

        assertThat(tree.referrers()).singleElement().satisfies(tb -> {
            assertThat(tb.descriptor().digest()).isEqualTo(b.digest());
            assertThat(tb.referrers()).singleElement().satisfies(ta -> {
                assertThat(ta.descriptor().digest()).isEqualTo(a.digest());
                assertThat(ta.referrers()).isEmpty();
            });
        });
    }

    @Test
    void aReferrersTagHoldingSomethingElseIsNotOverwritten() throws Exception {
        Repository repository = registry.repository("attach/occupied");
        Descriptor image = TestImages.image(repository, "linux/amd64", 100, 8).manifest();
        Descriptor squatter = TestImages.image(repository, "linux/amd64", 100, 9).manifest();
        byte[] squatterBytes = repository.pullManifest(squatter.digest().toString()).bytes();
        repository.pushManifest(Referrers.tagFor(image.digest()), squatterBytes, MediaTypes.OCI_MANIFEST);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Artifacts.attach(repository, image, SIGNATURE,
                        List.of(), Map.of(), ProgressListener.NONE))
                .hasMessageContaining("not an image index");
        assertThat(repository.pullManifest(Referrers.tagFor(image.digest())).bytes()).isEqualTo(squatterBytes);
    }

    private static void pushTagIndex(Repository repository, Digest subject, Descriptor referrer) throws Exception {
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + TestImages.json(referrer) + "]}").getBytes(StandardCharsets.UTF_8);
        repository.pushManifest(Referrers.tagFor(subject), index, MediaTypes.OCI_INDEX);
    }
}
