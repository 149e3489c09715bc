package io.berth.server.clients;

import static io.berth.server.clients.ImageContent.assertSameGraph;
import static io.berth.server.testing.AuthFixture.basic;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.Main;
import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A robot token made with {@code berth token create} is a login for skopeo ({@code robot$NAME} and the token as the
 * password) while the server runs on the same data directory; it reaches the repositories and actions it was made
 * for and no others, and {@code berth token revoke} ends it.
 */
class RobotTokenAuthTest {
    private static final Pattern TOKEN = Pattern.compile("Token: +(\\S+)");

    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.secured("skopeo");

    @Test
    void aRobotPushesAndPullsWhereItsTokenReachesAndNowhereElse(@TempDir Path tmp) {
        String token = createRobot("ci", "team/*", "pull,push");
        OciLayout source = image(tmp.resolve("source"));
        Descriptor manifest = source.resolve("v1");

        push(source, "team/robot-app:v1", "robot$ci:" + token).run();
        Path back = tmp.resolve("back");
        Skopeo.command("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", "robot$ci:" + token,
                docker("team/robot-app:v1"), "oci:" + back + ":v1").run();

        assertThat(registry.logins("token", "robot$ci")).as("logins at the token endpoint").containsOnly("success");
        assertThat(registry.pushes("robot$ci")).containsExactly("team/robot-app:v1");
        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(OciLayout.at(back)), manifest.digest()))
                .isEqualTo(3);

        for (String elsewhere : List.of("carol/x:v1", "team/nested/app:v1")) {
            Command.Result refused = push(source, elsewhere, "robot$ci:" + token).exec();
            assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
            // skopeo's first request there is a HEAD for a blob, whose 403 has no body to say "denied"
            assertThat(refused.stderr()).as(elsewhere).contains("403 (Forbidden)");
        }
        assertThat(registry.pushes("robot$ci")).containsExactly("team/robot-app:v1");
        assertThat(registry.http().authorized(basic("carol")).manifestStatus("carol/x", "v1")).isEqualTo(404);
    }

    /**
     * The server remembers a successful login for up to 30 seconds, so a token used just before its revocation keeps
     * working for the rest of that while; this one is revoked before it is ever used.
     */
    @Test
    void aRevokedRobotTokenNoLongerLogsIn(@TempDir Path tmp) {
        String token = createRobot("ci", "team/*", "pull,push");

        assertThat(berth("token", "revoke", "ci")).contains("Revoked robot 'ci'");

        Command.Result refused = push(image(tmp.resolve("source")), "team/robot-app:v1", "robot$ci:" + token).exec();
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        assertThat(refused.stderr()).containsIgnoringCase("invalid username/password");
        assertThat(registry.logins("token", "robot$ci")).containsExactly("failure");
        assertThat(registry.pushes("robot$ci")).isEmpty();
    }

    /** Runs {@code berth token create} against the registry's data directory and returns the token it printed. */
    private static String createRobot(String name, String repositories, String actions) {
        String out = berth("token", "create", "--name", name, "--repo", repositories, "--actions", actions);
        Matcher token = TOKEN.matcher(out);
        assertThat(token.find()).as("token in: %s", out).isTrue();
        return token.group(1);
    }

    /** Runs a {@code berth token} subcommand in-process on the registry's data; fails unless it exits with 0. */
    private static String berth(String... args) {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(2, List.of("--data", registry.dataDir().toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(command.toArray(String[]::new));
        assertThat(exitCode).as("berth %s: %s", command, err).isZero();
        return out.toString();
    }

    /** A small image in an OCI layout, tagged v1. */
    private static OciLayout image(Path dir) {
        OciLayout layout = OciLayout.create(dir);
        layout.tag(Map.of("v1", layout.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("robot", 10_000))));
        return layout;
    }

    private static Command push(OciLayout source, String repositoryAndTag, String credentials) {
        return Skopeo.command("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", credentials,
                "oci:" + source.dir() + ":v1", docker(repositoryAndTag));
    }

    private static String docker(String repositoryAndReference) {
        return "docker://" + registry.hostPort() + "/" + repositoryAndReference;
    }
}
