package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.client.testing.Distribution;
import io.berth.client.testing.TestImages;
import io.berth.client.testing.TestImages.Image;
import io.berth.client.testing.TestImages.ReferredIndex;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copies between two CNCF Distribution 2.8.2 registries (no referrers API on either) and within one. */
class ImageCopierTest {
    static final String SBOM = TestImages.SBOM;

    @TempDir
    static Path dir;
    static Distribution first;
    static Distribution second;
    static RegistryClient one;
    static RegistryClient two;

    @BeforeAll
    static void start() throws Exception {
        first = Distribution.start(dir.resolve("first"));
        second = Distribution.start(dir.resolve("second"));
        one = RegistryClient.builder(first.address()).plainHttp(true).build();
        two = RegistryClient.builder(second.address()).plainHttp(true).build();
    }

    @AfterAll
    static void stop() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
    }

    static void assertSameManifest(Repository source, Repository target, Descriptor manifest) throws Exception {
        assertThat(target.pullManifest(manifest.digest().toString()).bytes())
                .isEqualTo(source.pullManifest(manifest.digest().toString()).bytes());
    }

    @Test
    void anIndexIsCopiedToAnotherRegistryByteForByteWithItsReferrers() throws Exception {
        Repository source = one.repository("copy/app");
        ReferredIndex f = TestImages.referredIndex(source, "v1", 10);
        Repository target = two.repository("mirror/app");
        Set<Digest> reported = ConcurrentHashMap.newKeySet();

        CopyResult result = ImageCopier.builder().referrers(true)
                .progress((blob, done) -> reported.add(blob.digest())).build()
                .copy(source, "v1", target, "v1");

        assertThat(result.manifest()).isEqualTo(f.index());
        assertThat(target.pullManifest("v1").bytes()).isEqualTo(source.pullManifest("v1").bytes());
        for (Descriptor manifest : List.of(f.amd64().manifest(), f.arm64().manifest(), f.signature(), f.sbom(),
                f.sbomSignature(), f.childSignature())) {
            assertSameManifest(source, target, manifest);
        }
        for (Descriptor blob : f.amd64().blobs()) {
            assertThat(target.pullBlobBytes(blob)).isEqualTo(source.pullBlobBytes(blob));
        }
        assertThat(target.referrers(f.index().digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactlyInAnyOrder(f.signature().digest(), f.sbom().digest());
        assertThat(target.referrers(f.index().digest(), SBOM).manifests()).singleElement()
                .satisfies(d -> assertThat(d.artifactType()).isEqualTo(SBOM));
        assertThat(target.referrers(f.sbom().digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactly(f.sbomSignature().digest());
        assertThat(target.referrers(f.amd64().manifest().digest(), null).manifests()).extracting(Descriptor::digest)
                .containsExactly(f.childSignature().digest());
        // Two images of config + two layers, four artifacts of one payload each, and the empty config once.
        assertThat(result.blobsCopied()).isEqualTo(2 * 3 + 4 + 1);
        assertThat(result.blobsMounted()).isZero();
        assertThat(result.referrersCopied()).isEqualTo(4);
        assertThat(result.manifestsPushed()).isEqualTo(3 + 4);
        assertThat(result.bytesCopied()).isGreaterThan(4 * 300_000);
        assertThat(reported).contains(f.amd64().blobs().get(1).digest());
    }

    @Test
    void aSecondCopySendsNothingTheTargetHolds() throws Exception {
        Repository source = one.repository("again/app");
        ReferredIndex f = TestImages.referredIndex(source, "v1", 20);
        Repository target = two.repository("again/app");
        ImageCopier copier = ImageCopier.builder().referrers(true).build();
        copier.copy(source, "v1", target, "v1");
        // A new image sharing one layer with the first.
        Image next = TestImages.image(source, "linux/amd64", 300_000, 20, 99);

        CopyResult again = copier.copy(source, "v1", target, "v1");
        CopyResult sharing = copier.copy(source, next.manifest().digest().toString(), target, "v2");

        assertThat(again.blobsCopied()).isZero();
        assertThat(again.bytesCopied()).isZero();
        assertThat(again.referrersCopied()).isEqualTo(4);
        assertThat(sharing.blobsCopied()).isEqualTo(1);
        assertThat(sharing.blobsSkipped()).isEqualTo(2);
        assertThat(target.resolve("v2")).contains(next.manifest());
        assertThat(target.referrers(f.index().digest(), null).manifests()).hasSize(2);
    }

    @Test
    void aPlatformSubsetIsANewIndexOfTheChosenEntries() throws Exception {
        Repository source = one.repository("subset/app");
        ReferredIndex f = TestImages.referredIndex(source, "v1", 30);
        Repository target = two.repository("subset/app");

        CopyResult arm = ImageCopier.builder().platform("linux/arm64").referrers(true).build()
                .copy(source, "v1", target, "arm");

        assertThat(arm.manifest().digest()).isNotEqualTo(f.index().digest());
        Manifest index = target.pullManifest("arm").parsed();
        assertThat(index.children()).extracting(Descriptor::digest).containsExactly(f.arm64().manifest().digest());
        assertThat(index.platforms()).containsExactly("linux/arm64/v8");
        assertThat(index.annotations()).containsEntry("org.opencontainers.image.ref.name", "v1");
        assertThat(target.resolve(f.amd64().manifest().digest().toString())).isEmpty();
        assertThat(target.resolve(f.signature().digest().toString())).isEmpty();
        assertThat(arm.referrersCopied()).isZero();

        CopyResult both = ImageCopier.builder().platform("linux/amd64").platform("linux/arm64/v8").build()
                .copy(source, "v1", target, "both");
        assertThat(both.manifest()).isEqualTo(f.index());
        assertThat(target.pullManifest("both").bytes()).isEqualTo(source.pullManifest("v1").bytes());

        assertThatThrownBy(() -> ImageCopier.builder().platform("linux/s390x").build()
                .copy(source, "v1", target, "none")).hasMessageContaining("has no manifest for [linux/s390x]");
        assertThatThrownBy(() -> ImageCopier.builder().platform("linux/arm64").build()
                .copy(source, "v1", target, f.index().digest().toString()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withinOneRegistryBlobsAreMounted() throws Exception {
        Repository source = one.repository("mount/from");
        ReferredIndex f = TestImages.referredIndex(source, "v1", 40);
        Repository target = one.repository("mount/to");

        CopyResult result = ImageCopier.create().copy(source, "v1", target, "v1");

        assertThat(result.manifest()).isEqualTo(f.index());
        assertThat(result.blobsMounted()).isEqualTo(6);
        assertThat(result.blobsCopied()).isZero();
        assertThat(result.referrersCopied()).isZero();
        assertThat(target.pullManifest("v1").bytes()).isEqualTo(source.pullManifest("v1").bytes());
        assertThat(target.pullBlobBytes(f.arm64().blobs().get(2))).isEqualTo(source.pullBlobBytes(f.arm64().blobs().get(2)));
        assertThat(target.referrers(f.index().digest(), null).manifests()).isEmpty();
    }

    @Test
    void dockerManifestsKeepTheirMediaTypeAndBytes() throws Exception {
        Repository source = one.repository("docker/app");
        Descriptor config = TestImages.blob(source, "{\"os\":\"linux\",\"architecture\":\"amd64\"}"
                .getBytes(StandardCharsets.UTF_8), "application/vnd.docker.container.image.v1+json");
        Descriptor layer = TestImages.blob(source, TestImages.random(5000, 50),
                "application/vnd.docker.image.rootfs.diff.tar.gzip");
        // Indented as docker writes it: the bytes, not a re-serialisation, must arrive.
        byte[] manifest = ("{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"" + MediaTypes.DOCKER_MANIFEST
                + "\",\n   \"config\": " + TestImages.json(config) + ",\n   \"layers\": [" + TestImages.json(layer)
                + "]\n}").getBytes(StandardCharsets.UTF_8);
        source.pushManifest(Digest.sha256(manifest).toString(), manifest, MediaTypes.DOCKER_MANIFEST);
        byte[] list = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST_LIST
                + "\",\"manifests\":[{\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"digest\":\""
                + Digest.sha256(manifest) + "\",\"size\":" + manifest.length
                + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}").getBytes(StandardCharsets.UTF_8);
        source.pushManifest("latest", list, MediaTypes.DOCKER_MANIFEST_LIST);
        Repository target = two.repository("docker/app");

        CopyResult result = ImageCopier.builder().platform("linux/amd64").build()
                .copy(source, "latest", target, "latest");

        PulledManifest copied = target.pullManifest("latest");
        assertThat(copied.bytes()).isEqualTo(list);
        assertThat(copied.descriptor().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(result.manifest().digest()).isEqualTo(Digest.sha256(list));
        PulledManifest child = target.pullManifest(Digest.sha256(manifest).toString());
        assertThat(child.bytes()).isEqualTo(manifest);
        assertThat(child.descriptor().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void aMissingSourceFailsWithTheRegistrysError() {
        assertThatThrownBy(() -> ImageCopier.create().copy(one.repository("nothing/here"), "v1",
                two.repository("nothing/here"), "v1"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.isNotFound()).isTrue());
    }
}
