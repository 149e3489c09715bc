package io.berth.server.auth;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.header;
import static io.berth.server.testing.AuthFixture.basic;
import static io.berth.server.testing.AuthFixture.bearer;
import static io.berth.server.testing.AuthFixture.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes configured with the same {@code auth.token.signingKey} file: a token one issues is good on the other, and
 * both publish the same key set, which verifies their tokens.
 */
class SharedSigningKeyTest {
    @TempDir
    static Path keys;
    static Path keyFile;
    static TestRegistry nodeA;
    static TestRegistry nodeB;

    @BeforeAll
    static void start() throws Exception {
        keyFile = AuthFixture.signingKey(keys.resolve("token-key.pem"));
        nodeA = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withAuth(AuthFixture.auth().withSigningKeys(keyFile, List.of())));
        nodeB = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withAuth(AuthFixture.auth().withSigningKeys(keyFile, List.of())));
    }

    @AfterAll
    static void stop() {
        if (nodeA != null) {
            nodeA.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
    }


    private static RegistryClient client(TestRegistry node) {
        return new RegistryClient(node.url(), RegistryClient.newHttpClient());
    }

    @Test
    void aTokenIssuedByOneNodePullsThroughTheOther() throws Exception {
        RegistryClient.PushedImage image = client(nodeB).authorized(basic("alice")).pushImage("team/shared", "v1");
        String fromA = token(client(nodeA), "alice", "repository:team/shared:pull");

        RegistryClient b = client(nodeB).authorized(bearer(fromA));
        HttpResponse<byte[]> manifest = b.get("/v2/team/shared/manifests/v1");
        assertThat(manifest.statusCode()).as(body(manifest)).isEqualTo(200);
        assertThat(manifest.body()).isEqualTo(image.manifest());
        String layer = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(image.layers().getFirst()));
        HttpResponse<byte[]> blob = b.get("/v2/team/shared/blobs/" + layer);
        assertThat(blob.statusCode()).as(body(blob)).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(image.layers().getFirst());
    }

    @Test
    void aTokenFromANodeWithAnotherKeyIsRefused() {
        try (TestRegistry other = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            client(nodeB).authorized(basic("alice")).pushImage("team/elsewhere", "v1");
            String foreign = token(client(other), "alice", "repository:team/elsewhere:pull");
            HttpResponse<byte[]> response = client(nodeB).authorized(bearer(foreign))
                    .get("/v2/team/elsewhere/manifests/v1");
            RegistryClient.assertError(response, 401, "UNAUTHORIZED");
        }
    }

    @Test
    void bothNodesPublishTheSameKeySetWhichVerifiesTheirTokens() throws Exception {
        HttpResponse<byte[]> fromA = client(nodeA).get("/.well-known/jwks.json");
        HttpResponse<byte[]> fromB = client(nodeB).get("/.well-known/jwks.json");
        assertThat(fromA.statusCode()).isEqualTo(200);
        assertThat(header(fromA, "Content-Type")).startsWith("application/json");
        assertThat(header(fromA, "Cache-Control")).contains("public").contains("max-age=");
        assertThat(fromB.body()).isEqualTo(fromA.body());

        JWKSet published = JWKSet.parse(new String(fromB.body(), StandardCharsets.UTF_8));
        assertThat(published.getKeys()).hasSize(1);
        JWK key = published.getKeys().getFirst();
        assertThat(key.isPrivate()).as("only the public half is published").isFalse();
        assertThat(key.getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(key.getKeyUse()).isEqualTo(KeyUse.SIGNATURE);
        assertThat(key.getKeyID()).isEqualTo(key.computeThumbprint().toString());

        SignedJWT token = SignedJWT.parse(token(client(nodeA), "alice", "repository:team/app:pull"));
        assertThat(token.getHeader().getKeyID()).isEqualTo(key.getKeyID());
        assertThat(token.verify(new ECDSAVerifier((ECKey) published.getKeyByKeyId(token.getHeader().getKeyID()))))
                .isTrue();
    }

    @Test
    void theKeySetIsPublicAndAnsweredWithoutAuthentication() {
        HttpResponse<byte[]> response = client(nodeA).get("/.well-known/jwks.json",
                "Authorization", basic("alice", "wrong"));
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void withAuthenticationOffThereIsNoKeySet() {
        try (TestRegistry open = TestRegistry.start(Backend.SQLITE)) {
            RegistryClient.assertError(client(open).get("/.well-known/jwks.json"), 404, "NAME_UNKNOWN");
        }
    }

    @Test
    void anUnusableKeyFileEndsStartupWithAMessageNamingIt() throws Exception {
        Path broken = Files.writeString(keys.resolve("broken.pem"), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n"
                + "-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withAuth(AuthFixture.auth().withSigningKeys(broken, List.of()))))
                .hasMessageContaining("token signing key " + broken);
        Path missing = keys.resolve("missing.pem");
        assertThatThrownBy(() -> TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withAuth(AuthFixture.auth().withSigningKeys(missing, List.of()))))
                .hasMessageContaining("token signing key " + missing + " does not exist");
    }
}
