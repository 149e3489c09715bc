package io.berth.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.clients.Command;
import io.berth.server.clients.OciLayout;
import io.berth.server.clients.Tarballs;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The image commands' finer points, on one open Berth: indexes and platforms, tars, skipping, exit codes. */
class ImageCommandsTest {
    private static TestRegistry registry;

    @TempDir
    Path dir;

    private BerthCli berth;

    @BeforeAll
    static void start() {
        registry = TestRegistry.start(Backend.SQLITE);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private BerthCli berth() {
        if (berth == null) {
            berth = BerthCli.plainHttp(dir.resolve("config.json"));
        }
        return berth;
    }

    private String ref(String repositoryAndTag) {
        return registry.hostPort() + "/" + repositoryAndTag;
    }

    @Test
    void anIndexIsPushedWithItsChildrenAndPulledWhole() {
        OciLayout layout = Images.twoPlatforms(dir.resolve("layout"), "multi");
        OciLayout.Descriptor index = layout.resolve("multi");

        berth().run("push", layout.dir().toString(), ref("cli/multi")).ok();

        JsonNode inspected = berth().run("inspect", "--json", ref("cli/multi:multi")).ok().json();
        assertThat(inspected.path("digest").asString()).isEqualTo(index.digest());
        assertThat(inspected.path("manifests").findValuesAsString("platform"))
                .containsExactly("linux/amd64", "linux/arm64");
        assertThat(berth().run("inspect", ref("cli/multi:multi")).ok().out())
                .contains("Manifests:  2", "linux/amd64", "linux/arm64");

        berth().run("pull", ref("cli/multi:multi"), dir.resolve("all").toString()).ok();
        OciLayout all = OciLayout.at(dir.resolve("all"));
        assertThat(all.resolve("multi")).isEqualTo(index);
        assertThat(all.blobDigests()).isEqualTo(layout.blobDigests());
    }

    @Test
    void pullWithAPlatformTakesThatImageAlone() {
        OciLayout layout = Images.twoPlatforms(dir.resolve("layout"), "multi");
        berth().run("push", layout.dir() + ":multi", ref("cli/platforms:v1")).ok();
        JsonNode index = berth().run("inspect", "--json", ref("cli/platforms:v1")).ok().json();
        String arm64 = index.path("manifests").get(1).path("digest").asString();

        berth().run("pull", "--platform", "linux/arm64", ref("cli/platforms:v1"), dir.resolve("arm") + ":arm")
                .ok();
        OciLayout arm = OciLayout.at(dir.resolve("arm"));
        assertThat(arm.resolve("arm").digest()).isEqualTo(arm64);
        JsonNode armImage = berth().run("inspect", "--json", ref("cli/platforms@" + arm64)).ok().json();
        List<String> expected = new ArrayList<>(List.of(arm64,
                armImage.path("config").path("digest").asString(),
                armImage.path("layers").get(0).path("digest").asString()));
        expected.sort(null);
        assertThat(arm.blobDigests()).isEqualTo(expected);

        BerthCli.Result missing = berth().run("pull", "--platform", "windows/amd64", ref("cli/platforms:v1"),
                dir.resolve("none").toString());
        assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("windows/amd64", "linux/amd64, linux/arm64");
    }

    @Test
    void blobsTheRegistryHoldsAreNotSentAgain() {
        OciLayout layout = Images.single(dir.resolve("layout"), OciLayout.Flavour.OCI, "v1");
        JsonNode first = berth().run("push", "--json", layout.dir().toString(), ref("cli/again")).ok().json();
        JsonNode second = berth().run("push", "--json", layout.dir().toString(), ref("cli/again:v2")).ok().json();
        assertThat(first.path("blobs").path("transferred").asInt()).isEqualTo(2);
        assertThat(second.path("blobs").path("transferred").asInt()).isZero();
        assertThat(second.path("blobs").path("skipped").asInt()).isEqualTo(2);
        assertThat(second.path("digest").asString()).isEqualTo(first.path("digest").asString());

        // and pulling into a layout that has them fetches only what it lacks
        berth().run("pull", ref("cli/again:v1"), dir.resolve("pulled").toString()).ok();
        JsonNode again = berth().run("pull", "--json", ref("cli/again:v2"), dir.resolve("pulled").toString())
                .ok().json();
        assertThat(again.path("blobs").path("transferred").asInt()).isZero();
        OciLayout pulled = OciLayout.at(dir.resolve("pulled"));
        assertThat(pulled.resolve("v1")).isEqualTo(pulled.resolve("v2"));
    }

    @Test
    void aTarOfALayoutIsPushedByTheNameOfItsImage() {
        OciLayout layout = OciLayout.create(dir.resolve("layout"));
        var one = layout.putImage(OciLayout.Flavour.OCI, "linux", "amd64",
                Tarballs.randomFiles("one", 1000));
        var two = layout.putImage(OciLayout.Flavour.OCI, "linux", "amd64",
                Tarballs.randomFiles("two", 1000));
        layout.tag(new LinkedHashMap<>(Map.of("one", one, "two", two)));
        Path tar = dir.resolve("layout.tar");
        Command.of("tar", "-C", layout.dir().toString(), "-cf", tar.toString(), ".").run();

        BerthCli.Result ambiguous = berth().run("push", tar.toString(), ref("cli/tar"));
        assertThat(ambiguous.exitCode()).as(ambiguous.describe()).isEqualTo(ExitCodes.FAILED);
        assertThat(ambiguous.err()).contains("name one");

        BerthCli.Result pushed = berth().run("push", tar + ":two", ref("cli/tar")).ok();
        // not on a terminal: a plain line per blob on stderr, the result on stdout
        assertThat(pushed.err().lines().filter(line -> line.startsWith("pushing sha256:"))).hasSize(2);
        assertThat(pushed.out()).contains("Pushed " + ref("cli/tar:two"), "Digest: " + two.digest());
        assertThat(berth().run("inspect", "--json", ref("cli/tar:two")).ok().json().path("digest").asString())
                .isEqualTo(two.digest());
    }

    @Test
    void tagAddsTagsToTheSameManifest() {
        OciLayout layout = Images.single(dir.resolve("layout"), OciLayout.Flavour.DOCKER, "v1");
        berth().run("push", layout.dir().toString(), ref("cli/tagged:v1")).ok();
        JsonNode tagged = berth().run("tag", "--json", ref("cli/tagged:v1"), "stable", "prod").ok().json();
        assertThat(tagged.path("digest").asString()).isEqualTo(layout.resolve("v1").digest());
        JsonNode prod = berth().run("inspect", "--json", ref("cli/tagged:prod")).ok().json();
        assertThat(prod.path("digest").asString()).isEqualTo(layout.resolve("v1").digest());
        assertThat(prod.path("mediaType").asString()).isEqualTo(layout.resolve("v1").mediaType());

        BerthCli.Result badTag = berth().run("tag", ref("cli/tagged:v1"), "other/repo:x");
        assertThat(badTag.exitCode()).as(badTag.describe()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void deletingByDigestLeavesOtherManifests() {
        OciLayout first = Images.single(dir.resolve("a"), OciLayout.Flavour.OCI, "a");
        OciLayout second = Images.single(dir.resolve("b"), OciLayout.Flavour.OCI, "b");
        berth().run("push", first.dir().toString(), ref("cli/delete")).ok();
        berth().run("push", second.dir().toString(), ref("cli/delete")).ok();

        JsonNode deleted = berth().run("delete", "--json", ref("cli/delete@" + first.resolve("a").digest()))
                .ok().json();
        assertThat(deleted.path("digest").asString()).isEqualTo(first.resolve("a").digest());
        assertThat(berth().run("tags", ref("cli/delete")).ok().out().lines()).containsExactly("b");

        BerthCli.Result again = berth().run("delete", ref("cli/delete:a"));
        assertThat(again.exitCode()).as(again.describe()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(again.err()).contains("no manifest is tagged a");
        BerthCli.Result untagged = berth().run("delete", ref("cli/delete"));
        assertThat(untagged.exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void failuresEndWithTheirDocumentedExitCodes() throws Exception {
        BerthCli.Result missing = berth().run("inspect", ref("cli/nothing:here"));
        assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(ExitCodes.NOT_FOUND);

        BerthCli.Result badReference = berth().run("inspect", registry.hostPort() + "/Not_Valid:x");
        assertThat(badReference.exitCode()).as(badReference.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(badReference.err()).contains("not an image reference");

        BerthCli.Result noTarget = berth().run("push", dir.toString());
        assertThat(noTarget.exitCode()).isEqualTo(ExitCodes.USAGE);

        BerthCli.Result noLayout = berth().run("push", dir.resolve("absent").toString(), ref("cli/x"));
        assertThat(noLayout.exitCode()).as(noLayout.describe()).isEqualTo(ExitCodes.FAILED);

        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        BerthCli.Result refused = berth().run("inspect", "127.0.0.1:" + closed + "/cli/x:1");
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(refused.err()).contains("cannot connect");

        BerthCli.Result notOnATerminal = berth().run("login", registry.hostPort());
        assertThat(notOnATerminal.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(notOnATerminal.err()).contains("--password-stdin");
        assertThat(Files.exists(dir.resolve("config.json"))).isFalse();
    }
}
