package io.berth.server.clients;

import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.password;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * podman logs in with a password on standard input, pushes and pulls with the saved credentials through
 * distribution's token flow, and forgets them on logout. Its image storage and its auth file ({@code --authfile})
 * are temporary, so neither the machine's images nor the user's saved logins are touched.
 */
class PodmanAuthTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.secured("podman");

    @Test
    void aLoggedInUserPushesAndPullsUntilLoggingOut(@TempDir Path tmp) throws IOException {
        Path authFile = tmp.resolve("auth.json");
        Path rootfs = Files.write(tmp.resolve("rootfs.tar"), Tarballs.tar(Tarballs.randomFiles("app", 20_000)));
        podman(tmp, "import", rootfs.toString(), "localhost/app:v1").run();
        String imageId = podman(tmp, "image", "inspect", "--format", "{{.Id}}", "localhost/app:v1").run().stdoutText();

        Command.Result login = login(tmp, authFile, "alice", password("alice")).run();

        assertThat(login.stdoutText()).contains("Login Succeeded");
        assertThat(registry.logins("token", "alice")).as("logins at the token endpoint").containsOnly("success");
        assertThat(savedLogin(authFile).path("auth").asString()).as("what podman saved")
                .isEqualTo(Base64.getEncoder().encodeToString(
                        ("alice:" + password("alice")).getBytes(StandardCharsets.UTF_8)));

        String remote = registry.hostPort() + "/team/app:v1";
        Path digestFile = tmp.resolve("digest");
        podman(tmp, "push", "--tls-verify=false", "--authfile", authFile.toString(),
                "--digestfile", digestFile.toString(), "localhost/app:v1", "docker://" + remote).run();

        String pushed = Files.readString(digestFile).strip();
        assertThat(registry.pushes("alice")).containsExactly("team/app:v1");
        assertThat(registry.logins("basic", "alice")).as("Basic credentials sent to /v2/").isEmpty();
        RegistryHttp.Manifest served = registry.http().authorized(basic("alice")).manifest("team/app", "v1");
        assertThat(Sha256.of(served.body())).isEqualTo(pushed);

        podman(tmp, "rmi", "localhost/app:v1").run();
        podman(tmp, "pull", "--tls-verify=false", "--authfile", authFile.toString(), remote).run();
        assertThat(podman(tmp, "image", "inspect", "--format", "{{.Id}}", remote).run().stdoutText())
                .isEqualTo(imageId);
        podman(tmp, "rmi", remote).run();

        podman(tmp, "logout", "--authfile", authFile.toString(), registry.hostPort()).run();

        assertThat(savedLogin(authFile).isMissingNode()).as("login forgotten").isTrue();
        Command.Result anonymous = podman(tmp, "pull", "--tls-verify=false", "--authfile", authFile.toString(),
                remote).exec();
        assertThat(anonymous.exitCode()).as(anonymous.describe()).isNotZero();
        assertThat(anonymous.stderr()).containsIgnoringCase("unauthorized");
    }

    @Test
    void aWrongPasswordFailsTheLoginAndSavesNothing(@TempDir Path tmp) {
        Path authFile = tmp.resolve("auth.json");

        Command.Result login = login(tmp, authFile, "alice", "not-" + password("alice")).exec();

        assertThat(login.exitCode()).as(login.describe()).isNotZero();
        assertThat(login.stderr()).containsIgnoringCase("invalid username/password");
        assertThat(registry.logins("token", "alice")).containsExactly("failure");
        assertThat(savedLogin(authFile).isMissingNode()).as("nothing saved").isTrue();
    }

    private static Command login(Path tmp, Path authFile, String user, String password) {
        return podman(tmp, "login", "--tls-verify=false", "--authfile", authFile.toString(), "-u", user,
                "--password-stdin", registry.hostPort()).input(password);
    }

    /** The entry for this registry in the auth file, or a missing node. */
    private static JsonNode savedLogin(Path authFile) {
        if (!Files.exists(authFile)) {
            return OciLayout.JSON.missingNode();
        }
        try {
            return OciLayout.JSON.readTree(Files.readAllBytes(authFile)).path("auths").path(registry.hostPort());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Command podman(Path tmp, String... args) {
        return Podman.command(tmp.resolve("storage"), args);
    }
}
