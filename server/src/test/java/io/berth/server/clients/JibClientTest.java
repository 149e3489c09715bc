package io.berth.server.clients;

import static io.berth.server.clients.JibBuilds.layerOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * jib-core, the library behind the Jib Maven and Gradle plugins, pushes images it builds from files, and pulls one as
 * the base of another. Jib tries HTTPS first and falls back to plain HTTP because insecure registries are allowed.
 */
class JibClientTest {
    @RegisterExtension
    static final ClientTestRegistry registry = new ClientTestRegistry();

    @ParameterizedTest
    @EnumSource(ImageFormat.class)
    void anImageBuiltFromFilesIsServedWithTheDigestJibComputed(ImageFormat format, @TempDir Path tmp) throws Exception {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 200_000, 1_000);
        String repository = "jib/scratch-" + format.name().toLowerCase();

        JibContainer container = Jib.fromScratch()
                .setFormat(format)
                .addFileEntriesLayer(layerOf(files, tmp.resolve("src")))
                .setEntrypoint("/app/note.txt")
                .addLabel("test", "jib")
                .containerize(containerizer(repository + ":v1", tmp));

        String digest = container.getDigest().toString();
        RegistryHttp.Manifest served = registry.http().manifest(repository, "v1");
        assertThat(Sha256.of(served.body())).as("digest of the manifest served for the tag").isEqualTo(digest);
        assertThat(served.dockerContentDigest()).isEqualTo(digest);
        assertThat(served.contentType())
                .isEqualTo(format == ImageFormat.OCI ? RegistryHttp.OCI_MANIFEST : RegistryHttp.DOCKER_MANIFEST);
        assertThat(registry.http().manifest(repository, digest).body()).as("the same bytes by digest")
                .isEqualTo(served.body());
        JsonNode manifest = OciLayout.JSON.readTree(served.body());
        assertThat(manifest.path("config").path("digest").asString()).isEqualTo(container.getImageId().toString());
        JsonNode config = OciLayout.JSON.readTree(registry.http().blob(repository, container.getImageId().toString()));
        assertThat(config.path("config").path("Labels").path("test").asString()).isEqualTo("jib");
        JsonNode layers = manifest.path("layers");
        assertThat(layers).hasSize(1);
        byte[] layer = registry.http().blob(repository, layers.get(0).path("digest").asString());
        assertThat((long) layer.length).isEqualTo(layers.get(0).path("size").asLong());
        Map<String, byte[]> servedFiles = Tarballs.layerFiles(layer);
        files.forEach((name, bytes) -> assertThat(servedFiles.get(name)).as(name).isEqualTo(bytes));
    }

    @Test
    void anImagePulledAsBaseKeepsItsLayersUnderTheNewOne(@TempDir Path tmp) throws Exception {
        Map<String, byte[]> baseFiles = Tarballs.randomFiles("base", 100_000);
        JibContainer base = Jib.fromScratch()
                .setFormat(ImageFormat.OCI)
                .addFileEntriesLayer(layerOf(baseFiles, tmp.resolve("base")))
                .containerize(containerizer("jib/base:v1", tmp.resolve("push-base")));
        String baseLayer = OciLayout.JSON.readTree(registry.http().manifest("jib/base", "v1").body())
                .path("layers").get(0).path("digest").asString();

        Map<String, byte[]> appFiles = Tarballs.randomFiles("app", 50_000);
        JibContainer derived = Jib.from(RegistryImage.named(registry.hostPort() + "/jib/base@" + base.getDigest()))
                .setFormat(ImageFormat.OCI)
                .addFileEntriesLayer(layerOf(appFiles, tmp.resolve("app")))
                .containerize(containerizer("jib/derived:v1", tmp.resolve("push-derived")));

        RegistryHttp.Manifest served = registry.http().manifest("jib/derived", "v1");
        assertThat(Sha256.of(served.body())).isEqualTo(derived.getDigest().toString());
        List<String> layers = OciLayout.JSON.readTree(served.body()).path("layers").valueStream()
                .map(layer -> layer.path("digest").asString()).toList();
        assertThat(layers).hasSize(2).first().isEqualTo(baseLayer);
        assertThat(registry.http().blob("jib/derived", baseLayer)).as("base layer served from the derived repository")
                .isEqualTo(registry.http().blob("jib/base", baseLayer));
        Map<String, byte[]> appLayerFiles = Tarballs.layerFiles(registry.http().blob("jib/derived", layers.get(1)));
        appFiles.forEach((name, bytes) -> assertThat(appLayerFiles.get(name)).as(name).isEqualTo(bytes));
    }

    /** Pushes to this registry, without credentials. */
    private static Containerizer containerizer(String repositoryAndTag, Path tmp) throws Exception {
        return JibBuilds.containerizer(RegistryImage.named(registry.hostPort() + "/" + repositoryAndTag), tmp);
    }
}
