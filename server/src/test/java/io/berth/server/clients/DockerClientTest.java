package io.berth.server.clients;

import io.berth.client.testing.CuttingProxy;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.testing.CuttingProxy.Cut;
import io.berth.server.clients.DockerEngine.Pushed;
import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import io.berth.server.clients.OciLayout.PlatformManifest;
import io.berth.server.protocol.RegistryClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

/**
 * The Docker engine (dockerd and the docker CLI) pushes images to Berth and pulls them back, and what comes back is
 * what went up: the same image id, which is the digest of a config that names every layer's content, and the same
 * files. Each test checks what Berth serves over HTTP as well, independently of the engine.
 */
class DockerClientTest {

    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.requiring("dockerd", "docker");

    @RegisterExtension
    static final DockerEngine engine = new DockerEngine();

    @Test
    void anImageBuiltFromScratchIsPushedThenPulledBackByTagAndByDigest(@TempDir Path tmp) {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 300_000, 2_000);
        String id = engine.build(tmp, "local/basic:v1", "scratch", files);
        String remote = remote("docker/basic:v1");
        engine.docker("tag", "local/basic:v1", remote).run();

        Pushed pushed = engine.push(remote);

        RegistryHttp.Manifest served = registry.http().manifest("docker/basic", "v1");
        assertThat(Sha256.of(served.body())).as("digest of the manifest served").isEqualTo(pushed.digest());
        assertThat(served.contentType()).isEqualTo(RegistryHttp.DOCKER_MANIFEST);
        JsonNode manifest = OciLayout.JSON.readTree(served.body());
        assertThat(manifest.path("config").path("digest").asString()).as("config digest").isEqualTo(id);
        assertFiles(Tarballs.layerFiles(registry.http().blob("docker/basic", layers(manifest).getFirst())), files);

        engine.remove("local/basic:v1", remote);
        engine.docker("pull", remote).run();

        assertThat(engine.imageId(remote)).as("image id pulled by tag").isEqualTo(id);
        assertFiles(engine.files(remote), files);

        engine.remove(remote);
        String byDigest = remote("docker/basic@" + pushed.digest());
        engine.docker("pull", byDigest).run();

        assertThat(engine.imageId(byDigest)).as("image id pulled by digest").isEqualTo(id);
        assertThat(engine.docker("image", "inspect", "--format", "{{json .RepoDigests}}", byDigest).run()
                .stdoutText()).contains(byDigest);
        engine.remove(byDigest);
    }

    @ParameterizedTest
    @EnumSource(Flavour.class)
    void eachPlatformOfAMultiPlatformIndexIsPulledOnItsOwn(Flavour flavour, @TempDir Path tmp) {
        OciLayout layout = OciLayout.create(tmp);
        List<PlatformManifest> platforms = new ArrayList<>();
        Map<String, Map<String, byte[]>> filesByArchitecture = new LinkedHashMap<>();
        for (String architecture : List.of("amd64", "arm64")) {
            Map<String, byte[]> files = Tarballs.randomFiles(architecture, 40_000);
            filesByArchitecture.put(architecture, files);
            platforms.add(new PlatformManifest("linux", architecture,
                    layout.putImage(flavour, "linux", architecture, files)));
        }
        Descriptor index = layout.putIndex(flavour, platforms);
        String repository = "docker/index-" + flavour.name().toLowerCase();
        pushGraph(layout, repository, index.digest(), "v1");

        for (PlatformManifest platform : platforms) {
            String remote = remote(repository + ":v1");
            engine.docker("pull", "--platform", "linux/" + platform.architecture(), remote).run();

            String config = layout.json(platform.manifest().digest()).path("config").path("digest").asString();
            assertThat(engine.imageId(remote)).as("image id for %s", platform.architecture()).isEqualTo(config);
            assertThat(engine.docker("image", "inspect", "--format", "{{.Architecture}}", remote).run().stdoutText())
                    .isEqualTo(platform.architecture());
            assertFiles(engine.files(remote), filesByArchitecture.get(platform.architecture()));
            engine.remove(remote);
        }
    }

    @Test
    void aManifestListMadeWithDockerManifestNamesBothPlatformsAndServesEach(@TempDir Path tmp) throws IOException {
        String amd64 = remote("docker/list:amd64");
        String amd64Id = engine.build(tmp.resolve("amd64"), amd64, "scratch", Tarballs.randomFiles("amd64", 20_000));
        String amd64Digest = engine.push(amd64).digest();
        String arm64 = remote("docker/list:arm64");
        byte[] arm64Archive = DockerArchive.image(arm64, "linux", "arm64", Tarballs.randomFiles("arm64", 20_000));
        engine.load(Files.write(tmp.resolve("arm64.tar"), arm64Archive));
        String arm64Digest = engine.push(arm64).digest();
        String list = remote("docker/list:v1");

        engine.docker("manifest", "create", "--insecure", list, amd64, arm64).run();
        String pushed = engine.docker("manifest", "push", "--insecure", list).run().stdoutText();

        RegistryHttp.Manifest served = registry.http().manifest("docker/list", "v1");
        assertThat(pushed).as("digest docker manifest push printed").endsWith(Sha256.of(served.body()));
        assertThat(served.contentType()).isEqualTo(RegistryHttp.DOCKER_MANIFEST_LIST);
        Map<String, String> listed = new LinkedHashMap<>();
        for (JsonNode entry : OciLayout.JSON.readTree(served.body()).path("manifests")) {
            listed.put(entry.path("platform").path("architecture").asString(), entry.path("digest").asString());
        }
        assertThat(listed).containsExactlyInAnyOrderEntriesOf(Map.of("amd64", amd64Digest, "arm64", arm64Digest));
        JsonNode inspected = OciLayout.JSON.readTree(
                engine.docker("manifest", "inspect", "--insecure", list).run().stdout());
        assertThat(inspected.path("manifests").findValuesAsString("digest"))
                .containsExactlyInAnyOrder(amd64Digest, arm64Digest);

        engine.remove(amd64, arm64);
        engine.docker("pull", "--platform", "linux/arm64", list).run();
        assertThat(engine.imageId(list)).isEqualTo(DockerArchive.imageId(arm64Archive));
        engine.remove(list);
        engine.docker("pull", "--platform", "linux/amd64", list).run();
        assertThat(engine.imageId(list)).isEqualTo(amd64Id);
        engine.remove(list);
    }

    @Test
    void aLayerAlreadyInAnotherRepositoryIsMountedRatherThanUploaded(@TempDir Path tmp) {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 50_000);
        String first = remote("docker/mount-source:v1");
        String second = remote("docker/mount-target:v1");
        String id = engine.build(tmp, first, "scratch", files);
        engine.push(first);
        engine.docker("tag", first, second).run();

        Pushed pushed = engine.push(second);

        assertThat(pushed.output()).contains("Mounted from docker/mount-source");
        RegistryHttp.Manifest served = registry.http().manifest("docker/mount-target", "v1");
        assertThat(Sha256.of(served.body())).isEqualTo(pushed.digest());
        JsonNode manifest = OciLayout.JSON.readTree(served.body());
        assertFiles(Tarballs.layerFiles(registry.http().blob("docker/mount-target", layers(manifest).getFirst())),
                files);
        engine.remove(first, second);
        engine.docker("pull", second).run();
        assertThat(engine.imageId(second)).isEqualTo(id);
        engine.remove(second);
    }

    @Test
    void anImageDeletedFromTheRegistryCannotBePulled(@TempDir Path tmp) {
        String remote = remote("docker/deleted:v1");
        engine.build(tmp, remote, "scratch", Tarballs.randomFiles("app", 10_000));
        String digest = engine.push(remote).digest();
        engine.remove(remote);

        var deleted = new RegistryClient("http://" + registry.hostPort())
                .delete("/v2/docker/deleted/manifests/" + digest);
        assertThat(deleted.statusCode()).as("DELETE the manifest").isEqualTo(202);

        Command.Result byTag = engine.docker("pull", remote).exec();
        assertThat(byTag.exitCode()).as(byTag.describe()).isNotZero();
        assertThat(byTag.stderr()).containsIgnoringCase("not found");
        Command.Result byDigest = engine.docker("pull", remote("docker/deleted@" + digest)).exec();
        assertThat(byDigest.exitCode()).as(byDigest.describe()).isNotZero();
        assertThat(byDigest.stderr()).containsIgnoringCase("manifest unknown");
    }

    @Test
    void aLayerOf200MegabytesIsPushedAndPulledBackIntact(@TempDir Path tmp) throws IOException {
        long size = 200L * 1024 * 1024;
        writeRandomFile(tmp.resolve("rootfs/big/data.bin"), size);
        String remote = remote("docker/big:v1");
        String id = engine.build(tmp, remote, "scratch");

        String digest = engine.push(remote).digest();

        JsonNode manifest = OciLayout.JSON.readTree(registry.http().manifest("docker/big", digest).body());
        assertThat(manifest.path("layers").get(0).path("size").asLong()).as("compressed size of random bytes")
                .isGreaterThan(size);
        engine.remove(remote);
        // the engine checks every layer it downloads against its digest and the config's diff id, so the same image
        // id means the same bytes
        engine.docker("pull", remote).timeout(Duration.ofMinutes(5)).run();
        assertThat(engine.imageId(remote)).isEqualTo(id);
        engine.remove(remote);
    }

    @Test
    void twoImagesSharingALayerArePushedAtTheSameTimeAndBothPullBack(@TempDir Path tmp) {
        engine.build(tmp.resolve("base"), "local/shared-base:v1", "scratch", Tarballs.randomFiles("shared", 3_000_000));
        String one = remote("docker/concurrent-one:v1");
        String two = remote("docker/concurrent-two:v1");
        String oneId = engine.build(tmp.resolve("one"), one, "local/shared-base:v1", Tarballs.randomFiles("one", 1_000));
        String twoId = engine.build(tmp.resolve("two"), two, "local/shared-base:v1", Tarballs.randomFiles("two", 1_000));

        CompletableFuture<Pushed> pushOne = CompletableFuture.supplyAsync(() -> engine.push(one));
        CompletableFuture<Pushed> pushTwo = CompletableFuture.supplyAsync(() -> engine.push(two));
        String oneDigest = pushOne.join().digest();
        String twoDigest = pushTwo.join().digest();

        List<String> oneLayers = layers(OciLayout.JSON.readTree(
                registry.http().manifest("docker/concurrent-one", oneDigest).body()));
        List<String> twoLayers = layers(OciLayout.JSON.readTree(
                registry.http().manifest("docker/concurrent-two", twoDigest).body()));
        assertThat(oneLayers.getFirst()).as("the shared layer").isEqualTo(twoLayers.getFirst());
        registry.http().blob("docker/concurrent-one", oneLayers.getFirst());
        registry.http().blob("docker/concurrent-two", twoLayers.getFirst());
        engine.remove(one, two, "local/shared-base:v1");
        engine.docker("pull", one).run();
        engine.docker("pull", two).run();
        assertThat(engine.imageId(one)).isEqualTo(oneId);
        assertThat(engine.imageId(two)).isEqualTo(twoId);
        engine.remove(one, two);
    }

    /** dockerd keeps what it downloaded of a layer and, on its retry, asks only for the rest. */
    @Test
    void aLayerDownloadCutOffPartwayResumesWithARangeRequest(@TempDir Path tmp) {
        String remote = remote("docker/resume:v1");
        String id = engine.build(tmp, remote, "scratch", Tarballs.randomFiles("app", 4_000_000));
        String digest = engine.push(remote).digest();
        String layer = layers(OciLayout.JSON.readTree(registry.http().manifest("docker/resume", digest).body()))
                .getFirst();
        engine.remove(remote);

        try (CuttingProxy proxy = CuttingProxy.to(registry.hostPort())) {
            proxy.cutOnce(Cut.download("/blobs/" + layer, 1_000_000));
            String throughProxy = proxy.hostPort() + "/docker/resume:v1";

            engine.docker("pull", throughProxy).run();

            assertThat(proxy.hasCut()).as("the download was cut\n%s", proxy.describe()).isTrue();
            List<String> gets = proxy.requestHeads("GET", "/blobs/" + layer);
            assertThat(gets).as("GETs of the layer\n%s", proxy.describe()).hasSizeGreaterThanOrEqualTo(2);
            assertThat(proxy.lastRangeStart("GET", "/blobs/" + layer).orElse(-1))
                    .as("where the Range of the retried GET starts:\n%s", gets.getLast()).isPositive();
            assertThat(engine.imageId(throughProxy)).isEqualTo(id);
            engine.remove(throughProxy);
        }
    }

    /**
     * dockerd retries a failed layer upload within the same push, in a new upload session (it does not resume the
     * old one); the push must complete and the blob Berth keeps must be the whole layer.
     */
    @Test
    void aLayerUploadCutOffPartwayIsRetriedAndThePushCompletes(@TempDir Path tmp) {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 4_000_000);
        String local = "local/interrupted:v1";
        String id = engine.build(tmp, local, "scratch", files);

        try (CuttingProxy proxy = CuttingProxy.to(registry.hostPort())) {
            proxy.cutOnce(Cut.upload("PATCH", "/blobs/uploads/", 1_000_000));
            String throughProxy = proxy.hostPort() + "/docker/interrupted:v1";
            engine.docker("tag", local, throughProxy).run();

            String digest = engine.push(throughProxy).digest();

            assertThat(proxy.hasCut()).as("an upload was cut\n%s", proxy.describe()).isTrue();
            assertThat(proxy.requestHeads("POST", "/blobs/uploads/"))
                    .as("uploads started: the config, the layer and the layer again\n%s", proxy.describe())
                    .hasSizeGreaterThanOrEqualTo(3);
            byte[] served = registry.http().manifest("docker/interrupted", "v1").body();
            assertThat(Sha256.of(served)).isEqualTo(digest);
            JsonNode manifest = OciLayout.JSON.readTree(served);
            assertFiles(Tarballs.layerFiles(registry.http().blob("docker/interrupted", layers(manifest).getFirst())),
                    files);
            engine.remove(local, throughProxy);
        }
        String remote = remote("docker/interrupted:v1");
        engine.docker("pull", remote).run();
        assertThat(engine.imageId(remote)).isEqualTo(id);
        engine.remove(remote);
    }

    private static String remote(String repositoryAndReference) {
        return registry.hostPort() + "/" + repositoryAndReference;
    }

    private static List<String> layers(JsonNode manifest) {
        return manifest.path("layers").valueStream().map(layer -> layer.path("digest").asString()).toList();
    }

    /** Every file went up and came back with the same bytes (an engine may add directories and nothing else). */
    static void assertFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((name, bytes) -> assertThat(actual.get(name)).as(name).isEqualTo(bytes));
    }

    /** Pushes every blob and manifest below {@code digest} in the layout over HTTP, and tags the top one. */
    private static void pushGraph(OciLayout layout, String repository, String digest, String tag) {
        RegistryClient client = new RegistryClient("http://" + registry.hostPort());
        JsonNode top = layout.json(digest);
        for (JsonNode child : top.path("manifests")) {
            String childDigest = child.path("digest").asString();
            for (String blob : OciLayout.references(layout.json(childDigest))) {
                client.pushBlob(repository, layout.blob(blob));
            }
            client.pushManifest(repository, childDigest, child.path("mediaType").asString(), layout.blob(childDigest));
        }
        client.pushManifest(repository, tag, top.path("mediaType").asString(), layout.blob(digest));
    }

    private static void writeRandomFile(Path file, long size) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] chunk = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += chunk.length) {
                ThreadLocalRandom.current().nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
            }
        }
    }
}
