package io.berth.server.clients;

import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.password;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import land.oras.ArtifactType;
import land.oras.ContainerRef;
import land.oras.LocalPath;
import land.oras.Manifest;
import land.oras.ManifestDescriptor;
import land.oras.exception.OrasException;
import land.oras.Registry;
import land.oras.auth.UsernamePasswordProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ORAS Java SDK pushes, pulls and attaches artifacts with a username and password, and is refused without them.
 * The SDK sends its credentials as Basic on every request, which Berth accepts on {@code /v2/}, so it needs no token
 * for them; it asks the token endpoint only after a 401, parsing the {@code Bearer} challenge, as an anonymous
 * client does here.
 */
class OrasAuthTest {
    private static final String BUNDLE = "application/vnd.berth.test.bundle";
    private static final String SIGNATURE = "application/vnd.berth.test.signature";

    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.secured();

    @Test
    void aUserPushesPullsAndAttachesWithCredentials(@TempDir Path tmp) throws Exception {
        Registry alice = Registry.builder().insecure()
                .withAuthProvider(new UsernamePasswordProvider("alice", password("alice"))).build();
        byte[] model = Tarballs.randomBytes(20_000);
        Path in = Files.write(Files.createDirectories(tmp.resolve("in")).resolve("model.bin"), model);
        ContainerRef ref = ref("team/bundle:v1");

        alice.pushArtifact(ref, ArtifactType.from(BUNDLE), LocalPath.of(in, "application/vnd.berth.test.model"));

        assertThat(registry.logins("basic", "alice")).as("Basic credentials sent to /v2/").containsOnly("success");
        assertThat(registry.pushes("alice")).containsExactly("team/bundle:v1");
        Path out = Files.createDirectories(tmp.resolve("out"));
        alice.pullArtifact(ref, out, true);
        assertThat(Files.readAllBytes(out.resolve("model.bin"))).isEqualTo(model);

        String subject = Sha256.of(registry.http().authorized(basic("alice")).manifest("team/bundle", "v1").body());
        Path signatureFile = Files.write(tmp.resolve("artifact.sig"), Tarballs.randomBytes(256));
        Manifest signature = alice.attachArtifact(ref.withDigest(subject), ArtifactType.from(SIGNATURE),
                LocalPath.of(signatureFile, "application/vnd.berth.test.signature.payload"));

        assertThat(signature.getSubject().getDigest()).isEqualTo(subject);
        assertThat(alice.getReferrers(ref.withDigest(subject), null).getManifests())
                .extracting(ManifestDescriptor::getArtifactType).containsExactly(SIGNATURE);
    }

    @Test
    void withoutCredentialsPushAndPullAreRefused(@TempDir Path tmp) throws Exception {
        Registry alice = Registry.builder().insecure()
                .withAuthProvider(new UsernamePasswordProvider("alice", password("alice"))).build();
        Path file = Files.write(tmp.resolve("model.bin"), Tarballs.randomBytes(1_000));
        alice.pushArtifact(ref("team/bundle:v1"), ArtifactType.from(BUNDLE),
                LocalPath.of(file, "application/vnd.berth.test.model"));
        Registry anonymous = Registry.builder().insecure().build();

        // 401 is the answer to the retry with the token the SDK fetched after parsing the challenge; a challenge it
        // could not parse would fail without a status.
        assertThatExceptionOfType(OrasException.class)
                .isThrownBy(() -> anonymous.pushArtifact(ref("team/other:v1"), ArtifactType.from(BUNDLE),
                        LocalPath.of(file, "application/vnd.berth.test.model")))
                .returns(401, OrasException::getStatusCode);
        assertThatExceptionOfType(OrasException.class)
                .isThrownBy(() -> anonymous.getManifest(ref("team/bundle:v1")))
                .returns(401, OrasException::getStatusCode);

        assertThat(registry.http().authorized(basic("alice")).manifestStatus("team/other", "v1")).isEqualTo(404);
    }

    private static ContainerRef ref(String repositoryAndTag) {
        return ContainerRef.parse(registry.hostPort() + "/" + repositoryAndTag);
    }
}
