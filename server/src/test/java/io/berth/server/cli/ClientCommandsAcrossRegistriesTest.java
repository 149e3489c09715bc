package io.berth.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.testing.Distribution;
import io.berth.server.clients.Command;
import io.berth.server.clients.OciLayout;
import io.berth.server.clients.Skopeo;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * One image's life through the commands (login, push, inspect, tag, pull, delete, logout) on Berth and on CNCF
 * Distribution 2.8.2, each open and with sign-in: Berth with its token flow, Distribution with htpasswd Basic.
 */
class ClientCommandsAcrossRegistriesTest {
    /** A registry to run the commands against; {@code user} null for an open one. */
    record Target(String name, String hostPort, String repository, String user, String password) {
        @Override
        public String toString() {
            return name;
        }

        String ref(String tag) {
            return hostPort + "/" + repository + ":" + tag;
        }
    }

    private static TestRegistry berthOpen;
    private static TestRegistry berthSecured;
    private static Distribution distributionOpen;
    private static Distribution distributionSecured;
    private static Path distributionDir;

    @BeforeAll
    static void start() throws Exception {
        ExternalTools.require("docker-registry");
        ExternalTools.require("skopeo");
        distributionDir = Files.createTempDirectory("berth-cli-distribution-");
        berthOpen = TestRegistry.start(Backend.SQLITE);
        berthSecured = TestRegistry.start(Backend.SQLITE, AuthFixture::secured);
        distributionOpen = Distribution.start(distributionDir.resolve("open"));
        distributionSecured = Distribution.start(distributionDir.resolve("secured"), Map.of("ci", "ci-password"));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable registry : new AutoCloseable[]{berthOpen, berthSecured, distributionOpen,
                distributionSecured}) {
            try {
                if (registry != null) {
                    registry.close();
                }
            } catch (Exception ignored) {
                // the next one must still stop
            }
        }
    }

    static Stream<Target> targets() {
        return Stream.of(
                new Target("Berth", berthOpen.hostPort(), "cli/app", null, null),
                new Target("Berth with token sign-in", berthSecured.hostPort(), "team/cli", "alice",
                        AuthFixture.password("alice")),
                new Target("Distribution 2.8.2", distributionOpen.address(), "cli/app", null, null),
                new Target("Distribution 2.8.2 with htpasswd", distributionSecured.address(), "cli/app", "ci",
                        "ci-password"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void anImageGoesUpComesBackIsTaggedAndDeleted(Target target, @TempDir Path dir) throws Exception {
        Path config = dir.resolve("docker/config.json");
        BerthCli berth = BerthCli.plainHttp(config);
        OciLayout layout = Images.single(dir.resolve("layout"), OciLayout.Flavour.OCI, "v1");
        OciLayout.Descriptor image = layout.resolve("v1");

        if (target.user() != null) {
            BerthCli.Result anonymous = berth.run("push", layout.dir().toString(), target.ref("v1"));
            assertThat(anonymous.exitCode()).as(anonymous.describe()).isEqualTo(ExitCodes.DENIED);
            assertThat(anonymous.err()).contains("berth login");

            BerthCli.Result wrong = berth.run("login", target.hostPort(), "-u", target.user(), "-p", "wrong");
            assertThat(wrong.exitCode()).as(wrong.describe()).isEqualTo(ExitCodes.DENIED);
            assertThat(config).doesNotExist();

            loginWithPasswordOnStdin(berth, target);
            assertThat(Files.readString(config)).contains(target.hostPort()).doesNotContain(target.password());
        }

        JsonNode pushed = berth.run("push", "--json", layout.dir() + ":v1", target.hostPort() + "/"
                + target.repository()).ok().json();
        assertThat(pushed.path("digest").asString()).isEqualTo(image.digest());
        assertThat(pushed.path("reference").asString()).isEqualTo(target.ref("v1"));
        assertThat(pushed.path("blobs").path("transferred").asInt()).isEqualTo(2);

        if (target.user() != null) {
            // skopeo signs in with the login berth saved
            assertThat(skopeoRaw(target, config).stdout()).isEqualTo(layout.blob(image.digest()));
        }

        JsonNode inspected = berth.run("inspect", "--json", target.ref("v1")).ok().json();
        assertThat(inspected.path("digest").asString()).isEqualTo(image.digest());
        assertThat(inspected.path("mediaType").asString()).isEqualTo(image.mediaType());
        assertThat(inspected.path("config").path("platform").asString()).isEqualTo("linux/amd64");
        assertThat(inspected.path("layers")).hasSize(1);
        String raw = berth.run("inspect", "--raw", target.ref("v1")).ok().out();
        assertThat(raw.getBytes(StandardCharsets.UTF_8)).isEqualTo(layout.blob(image.digest()));

        berth.run("tag", target.ref("v1"), "v2", "v3").ok();
        assertThat(berth.run("tags", target.hostPort() + "/" + target.repository()).ok().out().lines())
                .containsExactlyInAnyOrder("v1", "v2", "v3");
        assertThat(berth.run("inspect", "--json", target.ref("v3")).ok().json().path("digest").asString())
                .isEqualTo(image.digest());

        Path pulledDir = dir.resolve("pulled");
        berth.run("pull", target.ref("v2"), pulledDir.toString()).ok();
        OciLayout pulled = OciLayout.at(pulledDir);
        assertThat(pulled.resolve("v2")).isEqualTo(image);
        assertThat(pulled.blobDigests()).isEqualTo(layout.blobDigests());
        for (String digest : layout.blobDigests()) {
            assertThat(pulled.blob(digest)).as(digest).isEqualTo(layout.blob(digest));
        }

        if (target.user() != null) {
            assertThat(berth.run("logout", target.hostPort()).ok().out()).contains("Removed");
            assertThat(Files.readString(config)).doesNotContain(target.hostPort());
            BerthCli.Result signedOut = berth.run("tags", target.hostPort() + "/" + target.repository());
            assertThat(signedOut.exitCode()).as(signedOut.describe()).isEqualTo(ExitCodes.DENIED);
            assertThat(skopeoRaw(target, config).exitCode()).isNotZero();
            berth.run("login", target.hostPort(), "-u", target.user(), "-p", target.password()).ok();
        }

        BerthCli.Result deleted = berth.run("delete", target.ref("v3"));
        assertThat(deleted.ok().out()).contains("Deleted " + target.hostPort() + "/" + target.repository() + "@"
                + image.digest());
        // the manifest went, and with it every tag that pointed at it
        BerthCli.Result gone = berth.run("inspect", target.ref("v1"));
        assertThat(gone.exitCode()).as(gone.describe()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    private static Command.Result skopeoRaw(Target target, Path config) {
        return Skopeo.command("inspect", "--raw", "--tls-verify=false", "--authfile", config.toString(),
                "docker://" + target.ref("v1")).exec();
    }

    /** {@code --password-stdin}, as scripts sign in; stdin is this JVM's, swapped for the run. */
    private static void loginWithPasswordOnStdin(BerthCli berth, Target target) {
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream((target.password() + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
            berth.run("login", target.hostPort(), "-u", target.user(), "--password-stdin").ok();
        } finally {
            System.setIn(stdin);
        }
    }
}
