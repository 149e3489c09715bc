package io.berth.server.clients;

import static io.berth.server.clients.JibBuilds.containerizer;
import static io.berth.server.clients.JibBuilds.layerOf;
import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.password;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * jib-core pushes with credentials, and pulls a base image with them, through distribution's token flow: it meets the
 * {@code Bearer} challenge and asks the token endpoint with Basic credentials for the scope it needs. Jib sends
 * credentials over plain HTTP only when the {@code sendCredentialsOverHttp} system property says so (otherwise it
 * stops with {@code RegistryCredentialsNotSentException}); the test registry is plain HTTP on loopback.
 */
class JibAuthTest {
    private static final String SEND_CREDENTIALS_OVER_HTTP = "sendCredentialsOverHttp";

    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.secured();

    @BeforeAll
    static void sendCredentialsOverHttp() {
        System.setProperty(SEND_CREDENTIALS_OVER_HTTP, "true");
    }

    @AfterAll
    static void stopSendingCredentialsOverHttp() {
        System.clearProperty(SEND_CREDENTIALS_OVER_HTTP);
    }

    @Test
    void aUserPushesAnImageAndBuildsOnItAsBase(@TempDir Path tmp) throws Exception {
        Map<String, byte[]> baseFiles = Tarballs.randomFiles("base", 20_000);
        JibContainer base = Jib.fromScratch()
                .setFormat(ImageFormat.OCI)
                .addFileEntriesLayer(layerOf(baseFiles, tmp.resolve("base")))
                .containerize(containerizer(as("alice", "team/base:v1"), tmp.resolve("push-base")));

        assertThat(registry.logins("token", "alice")).as("logins at the token endpoint").containsOnly("success");
        assertThat(registry.logins("basic", "alice")).as("Basic credentials sent to /v2/").isEmpty();
        assertThat(registry.pushes("alice")).containsExactly("team/base:v1");
        RegistryHttp alice = registry.http().authorized(basic("alice"));
        assertThat(Sha256.of(alice.manifest("team/base", "v1").body())).isEqualTo(base.getDigest().toString());

        Map<String, byte[]> appFiles = Tarballs.randomFiles("app", 10_000);
        JibContainer derived = Jib.from(as("alice", "team/base@" + base.getDigest()))
                .setFormat(ImageFormat.OCI)
                .addFileEntriesLayer(layerOf(appFiles, tmp.resolve("app")))
                .containerize(containerizer(as("alice", "team/derived:v1"), tmp.resolve("push-derived")));

        RegistryHttp.Manifest served = alice.manifest("team/derived", "v1");
        assertThat(Sha256.of(served.body())).isEqualTo(derived.getDigest().toString());
        List<String> layers = OciLayout.JSON.readTree(served.body()).path("layers").valueStream()
                .map(layer -> layer.path("digest").asString()).toList();
        assertThat(layers).hasSize(2);
        Map<String, byte[]> pulledBase = Tarballs.layerFiles(alice.blob("team/derived", layers.get(0)));
        baseFiles.forEach((name, bytes) -> assertThat(pulledBase.get(name)).as(name).isEqualTo(bytes));
        Map<String, byte[]> appLayer = Tarballs.layerFiles(alice.blob("team/derived", layers.get(1)));
        appFiles.forEach((name, bytes) -> assertThat(appLayer.get(name)).as(name).isEqualTo(bytes));
    }

    @Test
    void withoutCredentialsThePushFails(@TempDir Path tmp) throws Exception {
        RegistryImage anonymous = RegistryImage.named(registry.hostPort() + "/team/app:v1");

        assertThatThrownBy(() -> Jib.fromScratch()
                .addFileEntriesLayer(layerOf(Tarballs.randomFiles("app", 1_000), tmp.resolve("app")))
                .containerize(containerizer(anonymous, tmp)))
                .isInstanceOf(RegistryUnauthorizedException.class)
                .hasMessageContaining("team/app");

        assertThat(registry.http().authorized(basic("alice")).manifestStatus("team/app", "v1")).isEqualTo(404);
    }

    private static RegistryImage as(String user, String repositoryAndReference) throws Exception {
        return RegistryImage.named(registry.hostPort() + "/" + repositoryAndReference)
                .addCredential(user, password(user));
    }
}
