package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.TlsConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mTLS: a verified client certificate names a user, who then gets that user's access without a password. */
class ClientCertificateAuthTest {
    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestRegistry registry;

    @BeforeAll
    static void start() {
        pki = TestPki.create(dir.resolve("pki"), "Berth Test CA");
        TestPki.Credentials server = pki.server(TestPki.KeyType.EC, TestPki.KeyFormat.PKCS8);
        registry = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config.withTls(
                new TlsConfig(server.certificateFile(), server.keyFile(), pki.caFile(), false))));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static RegistryClient as(TestPki.Credentials identity) {
        HttpClient http = HttpClient.newBuilder().sslContext(identity == null ? pki.clientContext()
                : pki.clientContext(identity)).connectTimeout(Duration.ofSeconds(10)).build();
        return new RegistryClient(registry.url(), http);
    }

    @Test
    void aCertificateForAliceActsAsAlice() {
        RegistryClient alice = as(pki.client("alice"));
        assertThat(alice.get("/v2/").statusCode()).isEqualTo(200);
        alice.pushImage("team/by-certificate", "v1");
        assertThat(alice.get("/v2/team/by-certificate/tags/list").statusCode()).isEqualTo(200);
        // the token endpoint takes the certificate as the login too
        var token = alice.get("/token?service=berth&scope=repository:team/app:pull,push");
        assertThat(json(token).get("scope").asString()).isEqualTo("repository:team/app:pull,push");
    }

    @Test
    void aCertificateForAUserWithoutAccessIsDeniedAndNoCertificateIsChallenged() {
        assertError(as(pki.client("bob")).post("/v2/team/app/blobs/uploads/", new byte[0]), 403, "DENIED");
        assertError(as(pki.client("mallory")).get("/v2/team/app/tags/list"), 403, "DENIED");
        assertError(as(null).get("/v2/team/app/tags/list"), 401, "UNAUTHORIZED");
        assertThat(as(null).authorized(AuthFixture.basic("alice")).get("/v2/team/app/tags/list").statusCode())
                .isIn(200, 404);
    }
}
