package io.berth.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.clients.DockerEngine;
import io.berth.server.clients.OciLayout;
import io.berth.server.clients.Skopeo;
import io.berth.server.clients.Tarballs;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * What berth pushes, skopeo and the Docker engine pull; what they push, berth pulls: the same bytes and digests both
 * ways, for OCI images and Docker v2 schema 2 ones.
 */
class ClientCommandsInteropTest {
    @RegisterExtension
    static final DockerEngine engine = new DockerEngine();

    private static TestRegistry registry;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        ExternalTools.require("skopeo");
        registry = TestRegistry.start(Backend.SQLITE);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private String ref(String repositoryAndTag) {
        return registry.hostPort() + "/" + repositoryAndTag;
    }

    private BerthCli berth() {
        return BerthCli.plainHttp(dir.resolve("config.json"));
    }

    @Test
    void anOciImagePushedByBerthIsCopiedBySkopeoByteForByte() {
        OciLayout layout = Images.single(dir.resolve("layout"), OciLayout.Flavour.OCI, "v1");
        berth().run("push", layout.dir().toString(), ref("interop/oci")).ok();

        Path copied = dir.resolve("skopeo");
        Skopeo.command("copy", "--preserve-digests", "--src-tls-verify=false", "docker://" + ref("interop/oci:v1"),
                "oci:" + copied + ":v1").run();

        OciLayout skopeo = OciLayout.at(copied);
        assertThat(skopeo.resolve("v1").digest()).isEqualTo(layout.resolve("v1").digest());
        assertSameBlobs(skopeo, layout);
    }

    @Test
    void aDockerImagePushedByBerthRunsInTheDockerEngine() {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 30_000);
        OciLayout layout = OciLayout.create(dir.resolve("layout"));
        OciLayout.Descriptor image = layout.putImage(OciLayout.Flavour.DOCKER, "linux", "amd64", files);
        layout.tag(Map.of("v1", image));
        berth().run("push", layout.dir().toString(), ref("interop/docker:v1")).ok();

        engine.docker("pull", ref("interop/docker:v1")).run();

        String config = berth().run("inspect", "--json", ref("interop/docker:v1")).ok().json()
                .path("config").path("digest").asString();
        assertThat(engine.imageId(ref("interop/docker:v1"))).isEqualTo(config);
        assertThat(engine.docker("image", "inspect", "--format", "{{index .RepoDigests 0}}",
                ref("interop/docker:v1")).run().stdoutText()).endsWith("@" + image.digest());
        assertSameFiles(engine.files(ref("interop/docker:v1")), files);
        engine.remove(ref("interop/docker:v1"));
    }

    @Test
    void anImagePushedByTheDockerEngineIsPulledByBerthAndPushedBackUnchanged() {
        Map<String, byte[]> files = Tarballs.randomFiles("app", 25_000);
        String id = engine.build(dir.resolve("context"), ref("interop/built:v1"), "scratch", files);
        String digest = engine.push(ref("interop/built:v1")).digest();
        engine.remove(ref("interop/built:v1"));

        berth().run("pull", ref("interop/built:v1"), dir.resolve("pulled").toString()).ok();
        OciLayout pulled = OciLayout.at(dir.resolve("pulled"));
        assertThat(pulled.resolve("v1").digest()).isEqualTo(digest);
        assertThat(pulled.resolve("v1").mediaType()).isEqualTo(
                "application/vnd.docker.distribution.manifest.v2+json");
        assertThat(pulled.blobDigests()).contains(id, digest);

        JsonNode pushed = berth().run("push", "--json", pulled.dir().toString(), ref("interop/copied")).ok().json();
        assertThat(pushed.path("digest").asString()).isEqualTo(digest);
        engine.docker("pull", ref("interop/copied:v1")).run();
        assertThat(engine.imageId(ref("interop/copied:v1"))).isEqualTo(id);
        assertSameFiles(engine.files(ref("interop/copied:v1")), files);
        engine.remove(ref("interop/copied:v1"));
    }

    @Test
    void anIndexPushedBySkopeoIsPulledByBerthByteForByte() {
        OciLayout layout = Images.twoPlatforms(dir.resolve("layout"), "v1");
        Skopeo.command("copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                "oci:" + layout.dir() + ":v1", "docker://" + ref("interop/skopeo:v1")).run();

        berth().run("pull", ref("interop/skopeo:v1"), dir.resolve("pulled").toString()).ok();

        OciLayout pulled = OciLayout.at(dir.resolve("pulled"));
        assertThat(pulled.resolve("v1")).isEqualTo(layout.resolve("v1"));
        assertSameBlobs(pulled, layout);
    }

    private static void assertSameBlobs(OciLayout actual, OciLayout expected) {
        assertThat(actual.blobDigests()).isEqualTo(expected.blobDigests());
        for (String digest : expected.blobDigests()) {
            assertThat(actual.blob(digest)).as(digest).isEqualTo(expected.blob(digest));
        }
    }

    private static void assertSameFiles(Map<String, byte[]> actual, Map<String, byte[]> expected) {
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((path, bytes) -> assertThat(actual.get(path)).as(path).isEqualTo(bytes));
    }
}
