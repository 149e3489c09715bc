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
 * {@code docker login} against Berth's token endpoint (distribution's OAuth2 flow): dockerd trades the password once
 * for a refresh token, the CLI saves that token ({@code identitytoken}) instead of the password, and every later
 * command trades it for a short-lived access token. The registry is fresh for each test (so one test's login never
 * stands in for another's); the engine and its private {@code DOCKER_CONFIG} serve the class.
 */
class DockerAuthTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.secured("dockerd", "docker");

    @RegisterExtension
    static final DockerEngine engine = new DockerEngine();

    @Test
    void aLoginSavesARefreshTokenThatEachLaterCommandTradesForAccessUntilLogout(@TempDir Path tmp) {
        String remote = registry.hostPort() + "/team/app:v1";
        String id = engine.build(tmp, remote, "scratch", Tarballs.randomFiles("app", 20_000));

        Command.Result login = login("alice", password("alice")).run();

        assertThat(login.stdoutText()).contains("Login Succeeded");
        JsonNode saved = savedLogin();
        assertThat(saved.path("identitytoken").asString("")).as("refresh token saved by the CLI").isNotEmpty();
        assertThat(new String(Base64.getDecoder().decode(saved.path("auth").asString("")), StandardCharsets.UTF_8))
                .as("what the CLI saved besides").doesNotContain(password("alice"));
        assertThat(registry.logins("token", "alice")).as("password checks").containsExactly("success");

        String digest = engine.push(remote).digest();

        assertThat(registry.pushes("alice")).containsExactly("team/app:v1");
        RegistryHttp.Manifest served = registry.http().authorized(basic("alice")).manifest("team/app", "v1");
        assertThat(Sha256.of(served.body())).isEqualTo(digest);

        engine.remove(remote);
        engine.docker("pull", remote).run();

        assertThat(engine.imageId(remote)).isEqualTo(id);
        assertThat(registry.logins("token", "alice")).as("password checks, only the login's")
                .containsExactly("success");
        assertThat(registry.logins("refresh", "alice")).as("refresh grants, at least one for the push and the pull")
                .hasSizeGreaterThanOrEqualTo(2)
                .containsOnly("success");

        engine.docker("logout", registry.hostPort()).run();

        assertThat(savedLogin().isMissingNode()).as("login forgotten").isTrue();
        // dockerd words a 401 on push or pull as "denied" ("pull access denied ... may require 'docker login'")
        assertThat(registry.http().manifestStatus("team/app", "v1")).as("an anonymous GET").isEqualTo(401);
        Command.Result anonymousPush = engine.docker("push", remote).exec();
        assertThat(anonymousPush.exitCode()).as(anonymousPush.describe()).isNotZero();
        assertThat(anonymousPush.stderr()).containsIgnoringCase("denied");
        assertThat(registry.pushes("alice")).as("no push after logout").containsExactly("team/app:v1");
        engine.remove(remote);
        Command.Result anonymousPull = engine.docker("pull", remote).exec();
        assertThat(anonymousPull.exitCode()).as(anonymousPull.describe()).isNotZero();
        assertThat(anonymousPull.stderr()).containsIgnoringCase("denied");
    }

    @Test
    void aWrongPasswordFailsTheLoginWithAMessageThatSaysSoAndSavesNothing() {
        Command.Result login = login("alice", "not-" + password("alice")).exec();

        assertThat(login.exitCode()).as(login.describe()).isNotZero();
        assertThat(login.stderr()).as("the error's message, which is all dockerd shows")
                .contains("unauthorized: incorrect username or password");
        assertThat(registry.logins("token", "alice")).isNotEmpty().containsOnly("failure");
        assertThat(savedLogin().isMissingNode()).as("nothing saved").isTrue();
    }

    @Test
    void aUserWhoMayOnlyPullIsRefusedAPushWithTheSavedLogin(@TempDir Path tmp) {
        String remote = registry.hostPort() + "/team/bob-app:v1";
        engine.build(tmp, remote, "scratch", Tarballs.randomFiles("app", 5_000));
        login("bob", password("bob")).run();

        Command.Result push = engine.docker("push", remote).exec();

        assertThat(push.exitCode()).as(push.describe()).isNotZero();
        assertThat(push.stderr() + push.stdoutText()).containsIgnoringCase("denied");
        assertThat(registry.pushes("bob")).isEmpty();
        engine.docker("logout", registry.hostPort()).run();
        engine.remove(remote);
    }

    private static Command login(String user, String password) {
        return engine.docker("login", "--username", user, "--password-stdin", registry.hostPort()).input(password);
    }

    /** The CLI's entry for this registry in its config.json, or a missing node. */
    private static JsonNode savedLogin() {
        Path config = engine.configDir().resolve("config.json");
        if (!Files.exists(config)) {
            return OciLayout.JSON.missingNode();
        }
        try {
            return OciLayout.JSON.readTree(Files.readAllBytes(config)).path("auths").path(registry.hostPort());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
