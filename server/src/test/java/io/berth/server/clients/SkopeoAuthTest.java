package io.berth.server.clients;

import static io.berth.server.clients.ImageContent.assertSameGraph;
import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.password;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo logs in through distribution's token flow: it meets the {@code Bearer} challenge, asks the token endpoint
 * for the scope it needs with the credentials it was given (or none), and pushes and pulls with the token it gets.
 * What the token grants, and so what skopeo may do, is the access policy's decision ({@code AuthFixture}).
 */
class SkopeoAuthTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.secured("skopeo");

    @Test
    void aUserWithPushAccessPushesAndPullsBackTheSameBytes(@TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        Descriptor manifest = source.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("app", 20_000));

        push(source, manifest, "team/app:v1", "alice");
        Path back = tmp.resolve("back");
        Skopeo.command("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", credentials("alice"),
                docker("team/app:v1"), "oci:" + back + ":v1").run();

        assertThat(registry.logins("token", "alice")).as("logins at the token endpoint").containsOnly("success");
        assertThat(registry.logins("basic", "alice")).as("Basic credentials sent to /v2/").isEmpty();
        assertThat(registry.pushes("alice")).containsExactly("team/app:v1");
        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(OciLayout.at(back)), manifest.digest()))
                .as("nodes pulled back").isEqualTo(3);
        assertThat(OciLayout.at(back).resolve("v1")).isEqualTo(manifest);
        assertSameGraph(ImageContent.of(source),
                ImageContent.of(registry.http().authorized(basic("alice")), "team/app"), manifest.digest());
    }

    @Test
    void aUserWhoMayOnlyPullIsDeniedThePushButPulls(@TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        Descriptor manifest = source.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("app", 10_000));
        push(source, manifest, "team/app:v1", "alice");

        Command.Result refused = Skopeo.command("copy", "--dest-tls-verify=false", "--dest-creds", credentials("bob"),
                "oci:" + source.dir() + ":v1", docker("team/app:bob")).exec();

        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        assertThat(refused.stderr()).containsIgnoringCase("denied");
        assertThat(registry.logins("token", "bob")).as("bob did log in").contains("success");
        assertThat(registry.pushes("bob")).isEmpty();
        assertThat(registry.http().authorized(basic("alice")).manifestStatus("team/app", "bob")).isEqualTo(404);

        Path back = tmp.resolve("back");
        Skopeo.command("copy", "--src-tls-verify=false", "--src-creds", credentials("bob"), docker("team/app:v1"),
                "oci:" + back + ":v1").run();
        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(OciLayout.at(back)), manifest.digest()))
                .isEqualTo(3);
    }

    @Test
    void anonymousPullsFromPublicRepositoriesOnly(@TempDir Path tmp) {
        OciLayout source = OciLayout.create(tmp.resolve("source"));
        Descriptor manifest = source.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("base", 10_000));
        push(source, manifest, "public/base:v1", "alice");
        push(source, manifest, "team/base:v1", "alice");

        Path back = tmp.resolve("back");
        Skopeo.command("copy", "--src-tls-verify=false", "--src-no-creds", docker("public/base:v1"),
                "oci:" + back + ":v1").run();
        assertThat(assertSameGraph(ImageContent.of(source), ImageContent.of(OciLayout.at(back)), manifest.digest()))
                .isEqualTo(3);

        Command.Result refused = Skopeo.command("copy", "--src-tls-verify=false", "--src-no-creds",
                docker("team/base:v1"), "oci:" + tmp.resolve("refused") + ":v1").exec();
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        assertThat(refused.stderr()).containsIgnoringCase("unauthorized");

        Command.Result anonymousPush = Skopeo.command("copy", "--dest-tls-verify=false", "--dest-no-creds",
                "oci:" + source.dir() + ":v1", docker("public/base:anonymous")).exec();
        assertThat(anonymousPush.exitCode()).as(anonymousPush.describe()).isNotZero();
        assertThat(anonymousPush.stderr()).containsIgnoringCase("unauthorized");
        assertThat(registry.http().manifestStatus("public/base", "anonymous")).isEqualTo(404);
    }

    /** Copies the image up as it is, from its OCI layout (where it is tagged v1), with the user's credentials. */
    private static void push(OciLayout source, Descriptor manifest, String repositoryAndTag, String user) {
        source.tag(Map.of("v1", manifest));
        Skopeo.command("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", credentials(user),
                "oci:" + source.dir() + ":v1", docker(repositoryAndTag)).run();
    }

    private static String credentials(String user) {
        return user + ":" + password(user);
    }

    private static String docker(String repositoryAndReference) {
        return "docker://" + registry.hostPort() + "/" + repositoryAndReference;
    }
}
