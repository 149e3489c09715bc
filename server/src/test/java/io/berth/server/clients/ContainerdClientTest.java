package io.berth.server.clients;

import io.berth.client.testing.CuttingProxy;
import static io.berth.server.clients.ImageContent.assertSameGraph;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.testing.CuttingProxy.Cut;
import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import io.berth.server.clients.OciLayout.PlatformManifest;
import io.berth.server.protocol.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd (driven by {@code ctr}) pushes images to Berth and pulls and fetches them back. containerd neither
 * recompresses nor rewrites what it moves, so the bytes of every manifest, config and layer must be the very bytes of
 * the OCI layout the test made, in Berth and back in containerd's content store.
 */
class ContainerdClientTest {

    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.requiring("containerd", "ctr");

    @RegisterExtension
    static final ContainerdEngine containerd = new ContainerdEngine();

    @Test
    void anImportedImageIsPushedThenPulledBackByTagAndByDigestByteForByte(@TempDir Path tmp) {
        OciLayout layout = OciLayout.create(tmp.resolve("layout"));
        Descriptor manifest = layout.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("app", 200_000));
        String image = importImage(layout, tmp, "containerd/basic", manifest);

        containerd.ctr("images", "push", "--plain-http", image).run();

        RegistryHttp.Manifest served = registry.http().manifest("containerd/basic", "v1");
        assertThat(served.dockerContentDigest()).isEqualTo(manifest.digest());
        assertThat(served.contentType()).isEqualTo(RegistryHttp.OCI_MANIFEST);
        assertThat(assertSameGraph(ImageContent.of(layout), ImageContent.of(registry.http(), "containerd/basic"),
                manifest.digest())).as("manifest, config and layer").isEqualTo(3);

        containerd.remove(image);
        containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", image).run();

        assertThat(containerd.target(image)).isEqualTo(manifest.digest());
        assertSameGraph(ImageContent.of(layout), containerd.content(), manifest.digest());

        containerd.remove(image);
        String byDigest = registry.hostPort() + "/containerd/basic@" + manifest.digest();
        containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", byDigest).run();

        assertThat(containerd.target(byDigest)).isEqualTo(manifest.digest());
        assertSameGraph(ImageContent.of(layout), containerd.content(), manifest.digest());
        containerd.remove(byDigest);
    }

    @Test
    void contentFetchOfAMultiPlatformIndexBringsEveryPlatformByteForByte(@TempDir Path tmp) {
        OciLayout layout = OciLayout.create(tmp.resolve("layout"));
        List<PlatformManifest> platforms = new ArrayList<>();
        for (String architecture : List.of("amd64", "arm64")) {
            platforms.add(new PlatformManifest("linux", architecture, layout.putImage(Flavour.OCI, "linux",
                    architecture, Tarballs.randomFiles(architecture, 30_000))));
        }
        Descriptor index = layout.putIndex(Flavour.OCI, platforms);
        String image = registry.hostPort() + "/containerd/multi:v1";
        containerd.ctr("images", "import", "--no-unpack", "--all-platforms", "--base-name",
                registry.hostPort() + "/containerd/multi", archive(layout, tmp, Map.of("v1", index)).toString()).run();
        containerd.ctr("images", "push", "--plain-http", image).run();
        assertThat(assertSameGraph(ImageContent.of(layout), ImageContent.of(registry.http(), "containerd/multi"),
                index.digest())).as("index, two manifests, configs and layers").isEqualTo(7);
        containerd.remove(image);

        containerd.ctr("content", "fetch", "--plain-http", "--all-platforms", image).run();

        assertSameGraph(ImageContent.of(layout), containerd.content(), index.digest());
    }

    @Test
    void aLayerDownloadCutOffPartwayResumesWithARangeRequestWithinTheSamePull(@TempDir Path tmp) {
        OciLayout layout = OciLayout.create(tmp.resolve("layout"));
        Descriptor manifest = layout.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("app", 4_000_000));
        String image = importImage(layout, tmp, "containerd/resume", manifest);
        containerd.ctr("images", "push", "--plain-http", image).run();
        containerd.remove(image);
        String layer = layout.json(manifest.digest()).path("layers").get(0).path("digest").asString();

        try (CuttingProxy proxy = CuttingProxy.to(registry.hostPort())) {
            proxy.cutOnce(Cut.download("/blobs/" + layer, 1_000_000));
            String throughProxy = proxy.hostPort() + "/containerd/resume:v1";

            containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", throughProxy).run();

            assertThat(proxy.hasCut()).as("the download was cut\n%s", proxy.describe()).isTrue();
            List<String> gets = proxy.requestHeads("GET", "/blobs/" + layer);
            assertThat(gets).as("GETs of the layer\n%s", proxy.describe()).hasSizeGreaterThanOrEqualTo(2);
            assertThat(proxy.lastRangeStart("GET", "/blobs/" + layer).orElse(-1))
                    .as("where the Range of the retried GET starts:\n%s", gets.getLast()).isPositive();
            assertSameGraph(ImageContent.of(layout), containerd.content(), manifest.digest());
            containerd.remove(throughProxy);
        }
    }

    /**
     * containerd does not retry a failed upload within one push (ctr reports the broken {@code PUT}); the user runs
     * the push again. Berth must not have taken the cut-off body for the blob, and the second push must complete.
     */
    @Test
    void aPushWhoseLayerUploadWasCutOffCompletesWhenRunAgain(@TempDir Path tmp) {
        OciLayout layout = OciLayout.create(tmp.resolve("layout"));
        Descriptor manifest = layout.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("app", 4_000_000));
        String layer = layout.json(manifest.digest()).path("layers").get(0).path("digest").asString();
        RegistryClient direct = new RegistryClient("http://" + registry.hostPort());
        try (CuttingProxy proxy = CuttingProxy.to(registry.hostPort())) {
            String base = proxy.hostPort() + "/containerd/upload";
            containerd.ctr("images", "import", "--no-unpack", "--base-name", base,
                    archive(layout, tmp, Map.of("v1", manifest)).toString()).run();
            proxy.cutOnce(Cut.upload("PUT", "/blobs/uploads/", 1_000_000));

            Command.Result cut = containerd.ctr("images", "push", "--plain-http", base + ":v1").exec();

            assertThat(cut.exitCode()).as(cut.describe()).isNotZero();
            assertThat(proxy.hasCut()).as("the upload was cut\n%s", proxy.describe()).isTrue();
            assertThat(direct.head("/v2/containerd/upload/blobs/" + layer).statusCode())
                    .as("the layer after the cut-off upload").isEqualTo(404);
            assertThat(registry.http().manifestStatus("containerd/upload", "v1")).isEqualTo(404);

            containerd.ctr("images", "push", "--plain-http", base + ":v1").run();
        }
        assertSameGraph(ImageContent.of(layout), ImageContent.of(registry.http(), "containerd/upload"),
                manifest.digest());
    }

    /** Imports the layout's image as {@code REGISTRY/repository:v1} without unpacking it; returns that name. */
    private static String importImage(OciLayout layout, Path tmp, String repository, Descriptor manifest) {
        String base = registry.hostPort() + "/" + repository;
        containerd.ctr("images", "import", "--no-unpack", "--base-name", base,
                archive(layout, tmp, Map.of("v1", manifest)).toString()).run();
        return base + ":v1";
    }

    /** The layout as a tar archive, its index naming the given tags. */
    private static Path archive(OciLayout layout, Path tmp, Map<String, Descriptor> tags) {
        layout.tag(tags);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(layout.dir())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                entries.put(layout.dir().relativize(file).toString(), Files.readAllBytes(file));
            }
            return Files.write(tmp.resolve("image.tar"), Tarballs.tar(entries));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
