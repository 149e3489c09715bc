package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * buildah builds an image from scratch (no container is ever run), pushes it, and skopeo pulls it back: a second,
 * independent client must see the very image buildah pushed. buildah keeps its storage in a temporary directory.
 */
class BuildahClientTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.requiring("buildah", "skopeo");
    @TempDir
    static Path storage;

    @ParameterizedTest(name = "--format {0}")
    @CsvSource({
            "oci,    application/vnd.oci.image.manifest.v1+json",
            "docker, application/vnd.docker.distribution.manifest.v2+json"})
    void aScratchImagePushedByBuildahIsPulledBackIdenticallyBySkopeo(String format, String mediaType,
            @TempDir Path tmp) throws IOException {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 120_000, 2_000);
        Tarballs.writeFiles(tmp.resolve("src"), files);
        String container = buildah("from", "scratch").stdoutText();
        buildah("copy", container, tmp.resolve("src/app").toString(), "/app");
        buildah("config", "--entrypoint", "[\"/app/note.txt\"]", "--label", "test=buildah-" + format, container);
        String local = "localhost/scratch-" + format + ":v1";
        buildah("commit", "--format", format, container, local);
        buildah("rm", container);
        String repository = "buildah/scratch-" + format;
        Path digestFile = tmp.resolve("digest");

        buildah("push", "--tls-verify=false", "--format", format, "--digestfile", digestFile.toString(), local,
                "docker://" + registry.hostPort() + "/" + repository + ":v1");

        String pushed = Files.readString(digestFile).strip();
        RegistryHttp.Manifest served = registry.http().manifest(repository, "v1");
        assertThat(Sha256.of(served.body())).as("digest of the manifest served for the tag").isEqualTo(pushed);
        assertThat(served.dockerContentDigest()).isEqualTo(pushed);
        assertThat(served.contentType()).isEqualTo(mediaType);

        Path back = tmp.resolve("back");
        Command.of("skopeo", "--insecure-policy", "copy", "--preserve-digests", "--src-tls-verify=false",
                "docker://" + registry.hostPort() + "/" + repository + ":v1", "dir:" + back).run();

        ImageContent pulled = ImageContent.ofDirTransport(back);
        assertThat(Sha256.of(Files.readAllBytes(back.resolve("manifest.json")))).isEqualTo(pushed);
        assertThat(ImageContent.assertSameGraph(ImageContent.of(registry.http(), repository), pulled, pushed))
                .as("manifest, config and one layer").isEqualTo(3);
        JsonNode manifest = OciLayout.JSON.readTree(pulled.manifest(pushed));
        JsonNode config = OciLayout.JSON.readTree(pulled.blob(manifest.path("config").path("digest").asString()));
        assertThat(config.path("config").path("Labels").path("test").asString()).isEqualTo("buildah-" + format);
        Map<String, byte[]> layerFiles =
                Tarballs.layerFiles(pulled.blob(manifest.path("layers").get(0).path("digest").asString()));
        files.forEach((name, bytes) -> assertThat(layerFiles.get(name)).as(name).isEqualTo(bytes));
    }

    private static Command.Result buildah(String... args) {
        List<String> command = new ArrayList<>(List.of("buildah",
                "--root", storage.resolve("root").toString(),
                "--runroot", storage.resolve("run").toString(),
                "--storage-driver", "vfs"));
        command.addAll(List.of(args));
        return Command.of(command).run();
    }
}
