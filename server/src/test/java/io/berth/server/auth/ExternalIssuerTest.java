package io.berth.server.auth;

import static io.berth.server.testing.AuthFixture.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.AuthConfig;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Berth behind an existing token service: its JWTs are accepted, checked against its JWKS. */
class ExternalIssuerTest {
    @TempDir
    Path dir;

    @Test
    void tokensOfAConfiguredIssuerAreAcceptedWithTheirAccessClaims() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        AuthConfig auth = AuthFixture.auth().withExternalIssuers(List.of(
                new AuthConfig.ExternalIssuer("https://auth.example", "registry.example", null, jwks)));
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> config.withAuth(auth))) {
            RegistryClient anonymous = new RegistryClient(registry.url(), RegistryClient.newHttpClient());
            RegistryClient ci = anonymous.authorized(bearer(token(key, "registry.example",
                    "repository", "ext/app", List.of("pull", "push"))));
            assertThat(ci.get("/v2/").statusCode()).isEqualTo(200);
            RegistryClient.PushedImage image = ci.pushImage("ext/app", "v1");
            assertThat(ci.get("/v2/ext/app/manifests/v1", "Accept", "application/vnd.oci.image.manifest.v1+json")
                    .body()).isEqualTo(image.manifest());

            // the issuer named the repository without delete: denied, not challenged
            HttpResponse<byte[]> delete = ci.delete("/v2/ext/app/manifests/v1");
            RegistryClient.assertError(delete, 403, "DENIED");
            // nothing for another repository: challenged for it
            assertThat(ci.get("/v2/team/app/tags/list").statusCode()).isEqualTo(401);
            // wrong audience
            RegistryClient elsewhere = anonymous.authorized(bearer(token(key, "berth", "repository", "ext/app",
                    List.of("pull"))));
            assertThat(elsewhere.get("/v2/ext/app/tags/list").statusCode()).isEqualTo(401);
            // Berth's own users and tokens still work beside the issuer
            assertThat(anonymous.authorized(AuthFixture.basic("alice")).get("/v2/").statusCode()).isEqualTo(200);
        }
    }

    private static String token(ECKey key, String audience, String type, String name, List<String> actions)
            throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer("https://auth.example").subject("pipeline-7")
                .audience(audience).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)))
                .claim("access", List.of(Map.of("type", type, "name", name, "actions", actions))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }
}
