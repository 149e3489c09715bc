package io.berth.server.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.client.BlobSource;
import io.berth.client.Credentials;
import io.berth.client.ProgressListener;
import io.berth.client.RegistryClient;
import io.berth.client.RegistryException;
import io.berth.client.Repository;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client signs in to Berth the way docker does: the bearer challenge, a token per set of scopes from the token
 * service, with a password or with the refresh token ({@code identitytoken}) that a login keeps.
 */
class TokenSignInTest {
    static TestRegistry registry;

    @BeforeAll
    static void start() {
        registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    static RegistryClient as(Credentials credentials) {
        RegistryClient.Builder builder = RegistryClient.builder(registry.hostPort()).plainHttp(true);
        return (credentials == null ? builder : builder.credentials(credentials)).build();
    }

    static Credentials.Basic user(String name) {
        return new Credentials.Basic(name, AuthFixture.password(name));
    }

    static Descriptor pushImage(Repository repository, String tag, long seed) throws Exception {
        byte[] layer = new byte[3000];
        new Random(seed).nextBytes(layer);
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        Descriptor layerBlob = new Descriptor("application/vnd.oci.image.layer.v1.tar", Digest.sha256(layer), layer.length);
        Descriptor configBlob = new Descriptor("application/vnd.oci.image.config.v1+json", Digest.sha256(config), 2);
        repository.pushBlob(layerBlob, BlobSource.of(layer), ProgressListener.NONE);
        repository.pushBlob(configBlob, BlobSource.of(config), ProgressListener.NONE);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
                + json(configBlob) + ",\"layers\":[" + json(layerBlob) + "]}").getBytes(StandardCharsets.UTF_8);
        return repository.pushManifest(tag, manifest, MediaTypes.OCI_MANIFEST).descriptor();
    }

    static String json(Descriptor d) {
        return "{\"mediaType\":\"" + d.mediaType() + "\",\"digest\":\"" + d.digest() + "\",\"size\":" + d.size() + "}";
    }

    @Test
    void aUserWithPushRightsPushesAndAUserWithPullRightsOnlyPulls() throws Exception {
        Descriptor pushed = pushImage(as(user("alice")).repository("team/app"), "1.0", 1);

        Repository asBob = as(user("bob")).repository("team/app");
        assertThat(asBob.pullManifest("1.0").descriptor().digest()).isEqualTo(pushed.digest());
        assertThatThrownBy(() -> pushImage(asBob, "2.0", 2)).isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.status()).isIn(401, 403);
            assertThat(e.code()).as(e.request() + " " + e.status()).isIn("DENIED", "UNAUTHORIZED");
        });
        assertThat(asBob.resolve("2.0")).isEmpty();
    }

    @Test
    void anonymousPullsWhereTheRulesAllowAndIsRefusedElsewhere() throws Exception {
        Descriptor pushed = pushImage(as(user("alice")).repository("public/tool"), "v1", 3);

        RegistryClient anonymous = as(null);
        assertThat(anonymous.repository("public/tool").resolve("v1")).hasValueSatisfying(
                d -> assertThat(d.digest()).isEqualTo(pushed.digest()));
        assertThatThrownBy(() -> anonymous.repository("team/app").pullManifest("1.0"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void aWrongPasswordIsTheTokenServicesRefusal() {
        RegistryClient wrong = as(new Credentials.Basic("alice", "not-her-password"));

        assertThatThrownBy(() -> wrong.repository("team/app").resolve("1.0"))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.code()).isEqualTo("UNAUTHORIZED");
                });
    }

    @Test
    void aBlobIsMountedFromAnotherRepositoryWithATokenForBoth() throws Exception {
        Repository source = as(user("alice")).repository("team/source");
        byte[] bytes = "shared layer".getBytes(StandardCharsets.UTF_8);
        Descriptor blob = new Descriptor("application/vnd.oci.image.layer.v1.tar", Digest.sha256(bytes), bytes.length);
        source.pushBlob(blob, BlobSource.of(bytes), ProgressListener.NONE);

        Repository target = as(user("alice")).repository("team/target");
        assertThat(target.mountBlob(blob.digest(), "team/source")).isTrue();
        assertThat(target.hasBlob(blob.digest())).isTrue();
    }

    @Test
    void theRefreshTokenALoginKeepsSignsInWithoutThePassword() throws Exception {
        HttpResponse<String> login = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(registry.url() + "/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=password&username=alice&password="
                        + AuthFixture.password("alice") + "&service=berth&client_id=test&access_type=offline"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        String refreshToken = JsonMapper.builder().build().readTree(login.body()).get("refresh_token").asString();

        RegistryClient withToken = as(new Credentials.IdentityToken(refreshToken));
        Descriptor pushed = pushImage(withToken.repository("team/refreshed"), "v1", 4);

        assertThat(withToken.repository("team/refreshed").pullManifest("v1").descriptor()).isEqualTo(pushed);
        assertThatThrownBy(() -> as(new Credentials.IdentityToken("forged")).repository("team/refreshed")
                .resolve("v1")).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void theCatalogAsksForTheCatalogScopeAndListsWhatTheSignedInUserMayPull() throws Exception {
        pushImage(as(user("alice")).repository("team/listed"), "v1", 5);
        pushImage(as(user("alice")).repository("public/listed"), "v1", 6);

        assertThat(as(user("bob")).catalog()).contains("team/listed", "public/listed");
        assertThat(as(user("carol")).catalog()).contains("public/listed").doesNotContain("team/listed");
        assertThatThrownBy(() -> as(null).catalog()).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.status()).isEqualTo(401));
    }
}
