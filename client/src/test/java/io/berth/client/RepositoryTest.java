package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.client.testing.Distribution;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's protocol steps against CNCF Distribution 2.8.2, the registry every client must work with. */
class RepositoryTest {
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

    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static Descriptor push(Repository repository, byte[] bytes, String mediaType) throws Exception {
        Descriptor blob = new Descriptor(mediaType, Digest.sha256(bytes), bytes.length);
        repository.pushBlob(blob, BlobSource.of(bytes), ProgressListener.NONE);
        return blob;
    }

    static byte[] manifest(Descriptor config, List<Descriptor> layers) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"config\":" + descriptor(config) + ",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i == 0 ? "" : ",").append(descriptor(layers.get(i)));
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static String descriptor(Descriptor d) {
        return "{\"mediaType\":\"" + d.mediaType() + "\",\"digest\":\"" + d.digest() + "\",\"size\":" + d.size() + "}";
    }

    @Test
    void pushesAnImageAndPullsItBackByTagAndDigest() throws Exception {
        Repository repository = registry.repository("team/app");
        Descriptor config = push(repository, "{}".getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.config.v1+json");
        Descriptor small = push(repository, random(1000, 1), "application/vnd.oci.image.layer.v1.tar");
        Descriptor large = push(repository, random(3 << 20, 2), "application/vnd.oci.image.layer.v1.tar");
        byte[] manifest = manifest(config, List.of(small, large));

        PushedManifest pushed = repository.pushManifest("1.0", manifest, MediaTypes.OCI_MANIFEST);

        assertThat(pushed.descriptor().digest()).isEqualTo(Digest.sha256(manifest));
        PulledManifest byTag = repository.pullManifest("1.0");
        assertThat(byTag.bytes()).isEqualTo(manifest);
        assertThat(byTag.descriptor().mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(byTag.parsed().layers()).extracting(Descriptor::digest).containsExactly(small.digest(), large.digest());
        assertThat(repository.pullManifest(pushed.descriptor().digest().toString()).bytes()).isEqualTo(manifest);
        assertThat(repository.resolve("1.0")).contains(pushed.descriptor());
        assertThat(repository.resolve("2.0")).isEmpty();

        Path file = dir.resolve("large");
        repository.pullBlob(large, file, ProgressListener.NONE);
        assertThat(Files.readAllBytes(file)).isEqualTo(random(3 << 20, 2));
        assertThat(repository.pullBlobBytes(small)).isEqualTo(random(1000, 1));
        assertThat(repository.hasBlob(large.digest())).isTrue();
        assertThat(repository.hasBlob(Digest.sha256(new byte[]{9}))).isFalse();
    }

    @Test
    void uploadsInChunksWhenAskedTo() throws Exception {
        RegistryClient chunked = RegistryClient.builder(distribution.address()).plainHttp(true)
                .chunkSize(1 << 20).build();
        Repository repository = chunked.repository("chunked");
        byte[] bytes = random((5 << 20) + 17, 3);
        List<Long> progress = new ArrayList<>();
        Descriptor blob = new Descriptor("application/octet-stream", Digest.sha256(bytes), bytes.length);

        repository.pushBlob(blob, BlobSource.of(bytes), (b, done) -> progress.add(done));

        try (InputStream in = repository.openBlob(blob, 0)) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        assertThat(progress).isSorted().last().isEqualTo((long) bytes.length);
    }

    @Test
    void aWrongDigestIsRefusedByTheRegistryWithItsErrorCode() throws Exception {
        Repository repository = registry.repository("wrong");
        byte[] bytes = random(100, 4);
        Descriptor lie = new Descriptor("application/octet-stream", Digest.sha256(new byte[]{1}), bytes.length);

        assertThatThrownBy(() -> repository.pushBlob(lie, BlobSource.of(bytes), ProgressListener.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("DIGEST_INVALID");
                    assertThat(e.getMessage()).startsWith("DIGEST_INVALID: ");
                });
    }

    @Test
    void aMissingManifestIsAnExceptionWithTheRegistrysCode() {
        assertThatThrownBy(() -> registry.repository("nothing/here").pullManifest("latest"))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isIn("MANIFEST_UNKNOWN", "NAME_UNKNOWN");
                });
    }

    @Test
    void mountsABlobFromAnotherRepository() throws Exception {
        Repository source = registry.repository("mount/source");
        Descriptor blob = push(source, random(2000, 5), "application/octet-stream");
        Repository target = registry.repository("mount/target");

        assertThat(target.mountBlob(blob.digest(), "mount/source")).isTrue();
        assertThat(target.hasBlob(blob.digest())).isTrue();
        assertThat(target.mountBlob(Digest.sha256(new byte[]{7}), "mount/source")).isFalse();
    }

    @Test
    void listsTagsPageByPageAndTheCatalog() throws Exception {
        Repository repository = registry.repository("paged");
        Descriptor config = push(repository, "{}".getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.config.v1+json");
        byte[] manifest = manifest(config, List.of());
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            tags.add("t" + i);
            repository.pushManifest("t" + i, manifest, MediaTypes.OCI_MANIFEST);
        }

        registry.repository("paged2").pushBlob(config, BlobSource.of("{}".getBytes(StandardCharsets.UTF_8)),
                ProgressListener.NONE);
        registry.repository("paged2").pushManifest("t", manifest, MediaTypes.OCI_MANIFEST);
        // Distribution 2.8 pages the catalog but answers every tag at once, whatever n says.
        assertThat(repository.tags()).containsExactlyInAnyOrderElementsOf(tags);
        Page first = registry.catalog(1, null);
        assertThat(first.items()).hasSize(1);
        assertThat(first.next()).isEqualTo(first.items().getFirst());
        Page second = registry.catalog(1, first.next());
        assertThat(second.items()).hasSize(1).doesNotContainAnyElementsOf(first.items());
        assertThat(registry.catalog()).contains("paged", "paged2").doesNotHaveDuplicates();
    }

    @Test
    void deletesAManifestByDigest() throws Exception {
        Repository repository = registry.repository("deleting");
        Descriptor config = push(repository, "{\"a\":1}".getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.config.v1+json");
        PushedManifest pushed = repository.pushManifest("gone", manifest(config, List.of()), MediaTypes.OCI_MANIFEST);

        repository.delete(pushed.descriptor().digest().toString());

        assertThat(repository.resolve(pushed.descriptor().digest().toString())).isEmpty();
    }

    @Test
    void withoutTheReferrersApiReferrersComeFromTheTagSchema() throws Exception {
        Repository repository = registry.repository("referred");
        Descriptor config = push(repository, "{\"b\":2}".getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.config.v1+json");
        PushedManifest subject = repository.pushManifest("v1", manifest(config, List.of()), MediaTypes.OCI_MANIFEST);
        byte[] signatureManifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"artifactType\":\"application/vnd.example.sig\",\"config\":" + descriptor(config)
                + ",\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        Digest signature = repository.pushManifest(Digest.sha256(signatureManifest).toString(), signatureManifest,
                MediaTypes.OCI_MANIFEST).descriptor().digest();
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + signature
                + "\",\"size\":" + signatureManifest.length + ",\"artifactType\":\"application/vnd.example.sig\"}]}";
        repository.pushManifest(Referrers.tagFor(subject.descriptor().digest()),
                index.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_INDEX);

        Referrers referrers = repository.referrers(subject.descriptor().digest(), null);

        assertThat(referrers.fromApi()).isFalse();
        assertThat(referrers.manifests()).extracting(Descriptor::digest).containsExactly(signature);
        assertThat(repository.referrers(subject.descriptor().digest(), "application/other").manifests()).isEmpty();
        assertThat(Referrers.tagFor(subject.descriptor().digest()))
                .isEqualTo("sha256-" + subject.descriptor().digest().hex());
    }

    @Test
    void basicAuthenticationIsAnsweredWithTheCredentials() throws Exception {
        try (Distribution guarded = Distribution.start(dir.resolve("guarded"), Map.of("ada", "secret"))) {
            RegistryClient anonymous = RegistryClient.builder(guarded.address()).plainHttp(true).build();
            assertThatThrownBy(anonymous::ping).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.status()).isEqualTo(401));
            RegistryClient wrong = RegistryClient.builder(guarded.address()).plainHttp(true)
                    .credentials(new Credentials.Basic("ada", "wrong")).build();
            assertThatThrownBy(wrong::ping).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.status()).isEqualTo(401));

            RegistryClient signedIn = RegistryClient.builder(guarded.address()).plainHttp(true)
                    .credentials(new Credentials.Basic("ada", "secret")).build();
            signedIn.ping();
            Repository repository = signedIn.repository("private/app");
            Descriptor blob = push(repository, random(5000, 6), "application/octet-stream");
            try (InputStream in = repository.openBlob(blob, 0)) {
                assertThat(in.readAllBytes()).isEqualTo(random(5000, 6));
            }
        }
    }
}
