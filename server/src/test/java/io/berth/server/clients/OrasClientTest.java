package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import land.oras.Annotations;
import land.oras.ArtifactType;
import land.oras.Config;
import land.oras.ContainerRef;
import land.oras.Layer;
import land.oras.LocalPath;
import land.oras.Manifest;
import land.oras.ManifestDescriptor;
import land.oras.Referrers;
import land.oras.Registry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The ORAS Java SDK pushes OCI artifacts (manifests with an {@code artifactType} and arbitrary blobs), attaches
 * artifacts to a subject, and lists them through the referrers API of distribution-spec v1.1.
 */
class OrasClientTest {
    private static final String BUNDLE = "application/vnd.berth.test.bundle";
    private static final String SIGNATURE = "application/vnd.berth.test.signature";
    private static final Registry oras = Registry.builder().insecure().build();

    @RegisterExtension
    static final ClientTestRegistry registry = new ClientTestRegistry();

    @Test
    void anArtifactIsPushedAndPulledBackByteForByte(@TempDir Path tmp) throws Exception {
        byte[] model = Tarballs.randomBytes(300_000);
        byte[] readme = ("read me " + Sha256.hex(Tarballs.randomBytes(16)) + "\n").getBytes(StandardCharsets.UTF_8);
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.write(in.resolve("model.bin"), model);
        Files.write(in.resolve("readme.txt"), readme);
        ContainerRef ref = ref("oras/bundle:v1");

        Manifest pushed = oras.pushArtifact(ref, ArtifactType.from(BUNDLE),
                Annotations.ofManifest(new HashMap<>(Map.of("test", "oras"))), Config.empty(),
                LocalPath.of(in.resolve("model.bin"), "application/vnd.berth.test.model"),
                LocalPath.of(in.resolve("readme.txt"), "text/plain"));

        RegistryHttp.Manifest served = registry.http().manifest("oras/bundle", "v1");
        assertThat(served.contentType()).isEqualTo(RegistryHttp.OCI_MANIFEST);
        assertThat(served.dockerContentDigest()).isEqualTo(Sha256.of(served.body()));
        JsonNode manifest = OciLayout.JSON.readTree(served.body());
        assertThat(manifest.path("artifactType").asString()).isEqualTo(BUNDLE);
        assertThat(manifest.path("annotations").path("test").asString()).isEqualTo("oras");
        assertThat(manifest.path("layers").valueStream().map(layer -> layer.path("digest").asString()).toList())
                .containsExactly(Sha256.of(model), Sha256.of(readme));
        assertThat(pushed.getLayers()).extracting(Layer::getDigest)
                .containsExactly(Sha256.of(model), Sha256.of(readme));

        Path out = Files.createDirectories(tmp.resolve("out"));
        oras.pullArtifact(ref, out, true);

        assertThat(Files.readAllBytes(out.resolve("model.bin"))).isEqualTo(model);
        assertThat(Files.readAllBytes(out.resolve("readme.txt"))).isEqualTo(readme);
        assertThat(fetchBlob(ref, Sha256.of(model), tmp)).isEqualTo(model);
        Manifest fetched = oras.getManifest(ref);
        assertThat(fetched.getArtifactTypeAsString()).isEqualTo(BUNDLE);
        assertThat(fetched.getLayers()).extracting(Layer::getSize)
                .containsExactly((long) model.length, (long) readme.length);
    }

    @Test
    void anAttachedSignatureIsListedAmongTheReferrersOfItsSubject(@TempDir Path tmp) throws Exception {
        Path subjectFile = Files.write(tmp.resolve("artifact.bin"), Tarballs.randomBytes(20_000));
        ContainerRef ref = ref("oras/signed:v1");
        oras.pushArtifact(ref, ArtifactType.from(BUNDLE),
                LocalPath.of(subjectFile, "application/vnd.berth.test.model"));
        RegistryHttp.Manifest subject = registry.http().manifest("oras/signed", "v1");
        String subjectDigest = Sha256.of(subject.body());
        byte[] signatureBytes = Tarballs.randomBytes(512);
        Path signatureFile = Files.write(tmp.resolve("artifact.sig"), signatureBytes);

        Manifest signature = oras.attachArtifact(ref.withDigest(subjectDigest), ArtifactType.from(SIGNATURE),
                Annotations.ofManifest(new HashMap<>(Map.of("test.signed-by", "client-test"))),
                LocalPath.of(signatureFile, "application/vnd.berth.test.signature.payload"));

        assertThat(signature.getSubject().getDigest()).isEqualTo(subjectDigest);
        Referrers all = oras.getReferrers(ref.withDigest(subjectDigest), null);
        assertThat(all.getMediaType()).isEqualTo(RegistryHttp.OCI_INDEX);
        List<ManifestDescriptor> referrers = all.getManifests();
        assertThat(referrers).hasSize(1);
        ManifestDescriptor listed = referrers.get(0);
        assertThat(listed.getArtifactType()).isEqualTo(SIGNATURE);
        assertThat(listed.getMediaType()).isEqualTo(RegistryHttp.OCI_MANIFEST);
        assertThat(listed.getAnnotations()).containsEntry("test.signed-by", "client-test");

        RegistryHttp.Manifest signatureManifest = registry.http().manifest("oras/signed", listed.getDigest());
        assertThat(Sha256.of(signatureManifest.body())).isEqualTo(listed.getDigest());
        assertThat((long) signatureManifest.body().length).isEqualTo(listed.getSize());
        JsonNode signatureJson = OciLayout.JSON.readTree(signatureManifest.body());
        assertThat(signatureJson.path("subject").path("digest").asString()).isEqualTo(subjectDigest);
        assertThat(signatureJson.path("artifactType").asString()).isEqualTo(SIGNATURE);
        String payloadDigest = signatureJson.path("layers").get(0).path("digest").asString();
        assertThat(fetchBlob(ref, payloadDigest, tmp)).isEqualTo(signatureBytes);

        assertThat(oras.getReferrers(ref.withDigest(subjectDigest), ArtifactType.from(SIGNATURE)).getManifests())
                .extracting(ManifestDescriptor::getDigest).containsExactly(listed.getDigest());
        ArtifactType other = ArtifactType.from("application/vnd.berth.test.other");
        assertThat(oras.getReferrers(ref.withDigest(subjectDigest), other).getManifests()).isEmpty();
    }

    @Test
    void aBlobPushedInChunksIsServedWhole(@TempDir Path tmp) throws Exception {
        byte[] bytes = Tarballs.randomBytes(700_000);
        Path file = Files.write(tmp.resolve("big.bin"), bytes);
        ContainerRef ref = ref("oras/chunked:v1");

        Layer layer = oras.pushBlobChunked(ref, file, 64 * 1024);

        assertThat(layer.getDigest()).isEqualTo(Sha256.of(bytes));
        assertThat(registry.http().blob("oras/chunked", Sha256.of(bytes))).isEqualTo(bytes);
        assertThat(fetchBlob(ref, Sha256.of(bytes), tmp)).isEqualTo(bytes);
    }

    /** Fetches a blob to a file: the SDK's getBlob decodes the body as text, which mangles binary blobs. */
    private static byte[] fetchBlob(ContainerRef ref, String digest, Path tmp) throws IOException {
        Path file = tmp.resolve("fetched-" + Sha256.encoded(digest));
        oras.fetchBlob(ref.withDigest(digest), file);
        return Files.readAllBytes(file);
    }

    private static ContainerRef ref(String repositoryAndTag) {
        return ContainerRef.parse(registry.hostPort() + "/" + repositoryAndTag);
    }
}
