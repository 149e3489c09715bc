package io.berth.server.clients;

import static io.berth.server.clients.ImageContent.assertSameGraph;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import io.berth.server.clients.OciLayout.PlatformManifest;
import io.berth.server.testing.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * skopeo (containers/image) copies images up to the registry and back down; what comes back must be the very bytes
 * that went up, manifests included. {@code --preserve-digests} makes skopeo fail rather than convert anything.
 */
class SkopeoClientTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.requiring("skopeo");

    @Test
    void anImageBuiltWithUmociIsPushedAndPulledBackByteForByte(@TempDir Path tmp) {
        ExternalTools.require("umoci");
        Path layoutDir = tmp.resolve("built");
        String image = layoutDir + ":v1";
        Map<String, byte[]> app = Tarballs.randomFiles("app", 200_000, 3_000);
        Map<String, byte[]> etc = Tarballs.randomFiles("etc", 700);
        Tarballs.writeFiles(tmp.resolve("src"), app);
        Tarballs.writeFiles(tmp.resolve("src"), etc);
        umoci("init", "--layout", layoutDir.toString());
        umoci("new", "--image", image);
        umoci("insert", "--rootless", "--image", image, tmp.resolve("src/app").toString(), "/app");
        umoci("insert", "--rootless", "--image", image, tmp.resolve("src/etc").toString(), "/etc");
        umoci("config", "--image", image, "--config.entrypoint", "/app/note.txt", "--config.label", "test=skopeo");
        OciLayout original = OciLayout.at(layoutDir);
        Descriptor pushed = original.resolve("v1");

        skopeo("copy", "--preserve-digests", "oci:" + image, docker("skopeo/umoci:v1"), "--dest-tls-verify=false");

        RegistryHttp.Manifest byTag = registry.http().manifest("skopeo/umoci", "v1");
        assertThat(byTag.body()).as("manifest served for the tag").isEqualTo(original.blob(pushed.digest()));
        assertThat(byTag.dockerContentDigest()).isEqualTo(pushed.digest());
        assertThat(byTag.contentType()).isEqualTo(RegistryHttp.OCI_MANIFEST);
        assertThat(assertSameGraph(ImageContent.of(original), ImageContent.of(registry.http(), "skopeo/umoci"),
                pushed.digest()))
                .as("manifest, config and two layers").isEqualTo(4);

        Path backDir = tmp.resolve("back");
        skopeo("copy", "--preserve-digests", "--src-tls-verify=false", docker("skopeo/umoci:v1"),
                "oci:" + backDir + ":v1");

        OciLayout back = OciLayout.at(backDir);
        assertThat(back.resolve("v1").digest()).isEqualTo(pushed.digest());
        assertSameGraph(ImageContent.of(original), ImageContent.of(back), pushed.digest());
        Map<String, byte[]> pulledFiles = new LinkedHashMap<>();
        for (JsonNode layer : back.json(pushed.digest()).path("layers")) {
            pulledFiles.putAll(Tarballs.layerFiles(back.blob(layer.path("digest").asString())));
        }
        app.forEach((name, bytes) -> assertThat(pulledFiles.get(name)).as(name).isEqualTo(bytes));
        etc.forEach((name, bytes) -> assertThat(pulledFiles.get(name)).as(name).isEqualTo(bytes));
    }

    @ParameterizedTest
    @EnumSource(Flavour.class)
    void aMultiPlatformIndexCopiedWithAllComesBackByteForByte(Flavour flavour, @TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        List<PlatformManifest> platforms = new ArrayList<>();
        for (String architecture : List.of("amd64", "arm64")) {
            Descriptor manifest =
                    source.putImage(flavour, "linux", architecture, Tarballs.randomFiles(architecture, 30_000));
            platforms.add(new PlatformManifest("linux", architecture, manifest));
        }
        Descriptor index = source.putIndex(flavour, platforms);
        String repository = "skopeo/multi-" + flavour.name().toLowerCase();

        copyUp(flavour, source, index, tmp.resolve("export"), repository + ":v1", "--all");

        byte[] raw = skopeo("inspect", "--raw", "--tls-verify=false", docker(repository + ":v1")).stdout();
        assertThat(raw).as("skopeo inspect --raw").isEqualTo(source.blob(index.digest()));
        RegistryHttp.Manifest served = registry.http().manifest(repository, "v1");
        assertThat(served.contentType()).isEqualTo(flavour.index);
        assertThat(served.dockerContentDigest()).isEqualTo(index.digest());
        for (PlatformManifest platform : platforms) {
            assertThat(registry.http().manifest(repository, platform.manifest().digest()).contentType())
                    .as("media type of the %s manifest", platform.architecture())
                    .isEqualTo(flavour.manifest);
        }
        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(registry.http(), repository),
                index.digest()))
                .as("index plus two manifests of config and layer").isEqualTo(7);

        ImageContent back = copyBack(flavour, repository + ":v1", tmp.resolve("back"), "--all");
        assertThat(assertSameGraph(ImageContent.of(source), back, index.digest())).isEqualTo(7);
    }

    @Test
    void aDockerSchema2ImageKeepsItsMediaType(@TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        Descriptor manifest = source.putImage(Flavour.DOCKER, "linux", "amd64", Tarballs.randomFiles("docker", 50_000));

        copyUp(Flavour.DOCKER, source, manifest, tmp.resolve("export"), "skopeo/schema2:v1");

        assertThat(skopeo("inspect", "--raw", "--tls-verify=false", docker("skopeo/schema2:v1")).stdout())
                .isEqualTo(source.blob(manifest.digest()));
        RegistryHttp.Manifest served = registry.http().manifest("skopeo/schema2", "v1",
                RegistryHttp.DOCKER_MANIFEST, RegistryHttp.OCI_MANIFEST);
        assertThat(served.contentType()).isEqualTo(RegistryHttp.DOCKER_MANIFEST);
        assertThat(served.dockerContentDigest()).isEqualTo(manifest.digest());

        ImageContent back = copyBack(Flavour.DOCKER, "skopeo/schema2:v1", tmp.resolve("back"));
        assertThat(assertSameGraph(ImageContent.of(source), back, manifest.digest())).isEqualTo(3);
        assertThat(OciLayout.JSON.readTree(back.manifest(manifest.digest())).path("mediaType").asString())
                .isEqualTo(RegistryHttp.DOCKER_MANIFEST);
    }

    @Test
    void anImageCopiedBetweenRepositoriesIsServedByBothAndListedUnderItsTags(@TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        Descriptor manifest = source.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("copy", 80_000));
        copyUp(Flavour.OCI, source, manifest, tmp.resolve("export"), "skopeo/origin:v1");

        // Registry to registry: skopeo may mount the blobs from the origin repository instead of uploading them.
        for (String tag : List.of("v2", "latest")) {
            skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false",
                    docker("skopeo/origin:v1"), docker("skopeo/copied:" + tag));
        }

        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(registry.http(), "skopeo/copied"),
                manifest.digest()))
                .isEqualTo(3);
        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(registry.http(), "skopeo/origin"),
                manifest.digest()))
                .isEqualTo(3);
        for (String tag : List.of("v2", "latest")) {
            assertThat(registry.http().manifest("skopeo/copied", tag).dockerContentDigest()).as(tag)
                    .isEqualTo(manifest.digest());
        }
        JsonNode tags = OciLayout.JSON.readTree(
                skopeo("list-tags", "--tls-verify=false", docker("skopeo/copied")).stdout());
        assertThat(tags.path("Tags").valueStream().map(JsonNode::asString).toList())
                .containsExactlyInAnyOrder("v2", "latest");
    }

    @Test
    void inspectRawReturnsTheManifestBytesExactlyAsPushed(@TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        byte[] tar = Tarballs.tar(Tarballs.randomFiles("raw", 10_000));
        Descriptor layer = source.put(Flavour.OCI.layer, Tarballs.gzip(tar));
        Descriptor config = source.put(Flavour.OCI.config, """
                {"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}"""
                .formatted(Sha256.of(tar)).getBytes(StandardCharsets.UTF_8));
        // Indentation, key order, escaped and non-ASCII text: a registry that re-serializes would change these bytes.
        String text = """
                {
                        "schemaVersion" : 2,
                        "layers" : [ { "size" : %d, "digest" : "%s", "mediaType" : "%s" } ],
                        "config" : { "digest" : "%s", "size" : %d, "mediaType" : "%s" },
                        "mediaType" : "%s",
                        "annotations" : { "test.note" : "caf\\u00e9 – ünïcödé \\"quoted\\"" }
                }
                """.formatted(layer.size(), layer.digest(), layer.mediaType(), config.digest(), config.size(),
                config.mediaType(), RegistryHttp.OCI_MANIFEST);
        Descriptor manifest = source.put(RegistryHttp.OCI_MANIFEST, text.getBytes(StandardCharsets.UTF_8));

        copyUp(Flavour.OCI, source, manifest, tmp.resolve("export"), "skopeo/raw:v1");

        byte[] expected = text.getBytes(StandardCharsets.UTF_8);
        assertThat(skopeo("inspect", "--raw", "--tls-verify=false", docker("skopeo/raw:v1")).stdout())
                .as("by tag").isEqualTo(expected);
        assertThat(skopeo("inspect", "--raw", "--tls-verify=false", docker("skopeo/raw@" + manifest.digest())).stdout())
                .as("by digest").isEqualTo(expected);
        JsonNode inspected = OciLayout.JSON.readTree(
                skopeo("inspect", "--tls-verify=false", docker("skopeo/raw:v1")).stdout());
        assertThat(inspected.path("Digest").asString()).isEqualTo(manifest.digest());
        assertThat(inspected.path("Layers").get(0).asString()).isEqualTo(layer.digest());
    }

    /**
     * Copies a crafted image up to the registry as it is: from its OCI layout tagged v1 for OCI media types; for Docker
     * ones from a {@code dir:} export, because skopeo's {@code oci:} transport only finds OCI media types in index.json.
     */
    private static void copyUp(Flavour flavour, OciLayout source, Descriptor top, Path exportDir, String repositoryAndTag,
            String... options) {
        List<String> command = new ArrayList<>(List.of("copy", "--preserve-digests", "--dest-tls-verify=false"));
        command.addAll(List.of(options));
        if (flavour == Flavour.OCI) {
            source.tag(Map.of("v1", top));
            command.add("oci:" + source.dir() + ":v1");
        } else {
            command.add("dir:" + source.exportDirTransport(exportDir, top.digest()));
        }
        command.add(docker(repositoryAndTag));
        skopeo(command.toArray(String[]::new));
    }

    /** Copies an image back down: to an OCI layout for OCI media types, to a {@code dir:} directory for Docker ones. */
    private static ImageContent copyBack(Flavour flavour, String repositoryAndTag, Path target, String... options) {
        List<String> command = new ArrayList<>(List.of("copy", "--preserve-digests", "--src-tls-verify=false"));
        command.addAll(List.of(options));
        command.add(docker(repositoryAndTag));
        if (flavour == Flavour.OCI) {
            command.add("oci:" + target + ":v1");
            skopeo(command.toArray(String[]::new));
            return ImageContent.of(OciLayout.at(target));
        }
        command.add("dir:" + target);
        skopeo(command.toArray(String[]::new));
        return ImageContent.ofDirTransport(target);
    }

    private static String docker(String repositoryAndReference) {
        return "docker://" + registry.hostPort() + "/" + repositoryAndReference;
    }

    private static Command.Result skopeo(String... args) {
        return Skopeo.command(args).run();
    }

    private static void umoci(String... args) {
        List<String> command = new ArrayList<>(List.of("umoci"));
        command.addAll(List.of(args));
        Command.of(command).run();
    }
}
