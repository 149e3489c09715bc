package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * podman pushes an image it imported from a generated tarball and pulls it back. podman runs with its own storage
 * in a temporary directory (vfs driver, which needs no kernel overlay support), never the machine's.
 */
class PodmanClientTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.requiring("podman");
    @TempDir
    static Path storage;

    @ParameterizedTest(name = "--format {0}")
    @CsvSource({
            "oci,  application/vnd.oci.image.manifest.v1+json",
            "v2s2, application/vnd.docker.distribution.manifest.v2+json"})
    void anImportedImageIsPushedAndPulledBackUnderTheSameDigest(String format, String mediaType, @TempDir Path tmp)
            throws IOException {
        Map<String, byte[]> files = Tarballs.randomFiles("podman", 150_000, 4_000);
        Path rootfs = Files.write(tmp.resolve("rootfs.tar"), Tarballs.tar(files));
        String local = "localhost/imported-" + format + ":v1";
        podman("import", "--change", "ENTRYPOINT [\"/podman/note.txt\"]", rootfs.toString(), local);
        String imageId = podman("image", "inspect", "--format", "{{.Id}}", local).stdoutText();
        String repository = "podman/imported-" + format;
        String remote = registry.hostPort() + "/" + repository + ":v1";
        Path digestFile = tmp.resolve("digest");

        podman("push", "--tls-verify=false", "--format", format, "--digestfile", digestFile.toString(), local,
                "docker://" + remote);

        String pushed = Files.readString(digestFile).strip();
        RegistryHttp.Manifest served = registry.http().manifest(repository, "v1");
        assertThat(Sha256.of(served.body())).as("digest of the manifest served for the tag").isEqualTo(pushed);
        assertThat(served.dockerContentDigest()).isEqualTo(pushed);
        assertThat(served.contentType()).isEqualTo(mediaType);
        JsonNode manifest = OciLayout.JSON.readTree(served.body());
        assertThat(manifest.path("config").path("digest").asString()).as("config digest is the image ID")
                .isEqualTo("sha256:" + imageId);
        JsonNode layers = manifest.path("layers");
        assertThat(layers).hasSize(1);
        Map<String, byte[]> servedFiles =
                Tarballs.layerFiles(registry.http().blob(repository, layers.get(0).path("digest").asString()));
        files.forEach((name, bytes) -> assertThat(servedFiles.get(name)).as(name).isEqualTo(bytes));

        podman("rmi", local);
        podman("pull", "--tls-verify=false", remote);

        assertThat(podman("image", "inspect", "--format", "{{.Digest}}", remote).stdoutText()).isEqualTo(pushed);
        assertThat(podman("image", "inspect", "--format", "{{.Id}}", remote).stdoutText()).isEqualTo(imageId);

        String byDigest = registry.hostPort() + "/" + repository + "@" + pushed;
        podman("rmi", remote);
        podman("pull", "--tls-verify=false", byDigest);
        assertThat(podman("image", "inspect", "--format", "{{.Id}}", byDigest).stdoutText()).isEqualTo(imageId);
        podman("rmi", byDigest);
    }

    private static Command.Result podman(String... args) {
        return Podman.command(storage, args).run();
    }
}
