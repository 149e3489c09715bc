package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.AuthConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenServiceTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final Identity ALICE = Identity.user("alice", Set.of());

    @TempDir
    Path data;

    private TokenService service(AuthConfig auth, Instant now) {
        return TokenService.open(data, auth, Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void issuedTokensCarryTheDistributionClaimsAndVerify() throws Exception {
        TokenService tokens = service(AuthConfig.NONE, NOW);
        String token = tokens.issueAccess(ALICE, List.of(Scope.repository("team/app", "pull", "push")), NOW);
        SignedJWT jwt = SignedJWT.parse(token);
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(jwt.getHeader().getKeyID()).isNotBlank();
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo("berth");
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getAudience()).containsExactly("berth");
        assertThat(claims.getExpirationTime().toInstant()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
        assertThat(claims.getNotBeforeTime().toInstant()).isEqualTo(NOW);
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getClaim("access")).isEqualTo(List.of(Map.of("type", "repository", "name", "team/app",
                "actions", List.of("pull", "push"))));

        VerifiedToken verified = tokens.verifyAccess(token);
        assertThat(verified.own()).isTrue();
        assertThat(verified.subject()).isEqualTo("alice");
        assertThat(verified.allows("repository", "team/app", "push")).isTrue();
        assertThat(verified.allows("repository", "team/app", "delete")).isFalse();
        assertThat(verified.allows("repository", "team/other", "pull")).isFalse();
    }

    @Test
    void theKeyIsGeneratedOnceKeptPrivateAndReused() throws Exception {
        String token = service(AuthConfig.NONE, NOW).issueAccess(ALICE, List.of(), NOW);
        Path key = data.resolve(TokenService.KEY_FILE);
        assertThat(Files.getPosixFilePermissions(key)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readString(key)).contains("BEGIN PRIVATE KEY", "BEGIN PUBLIC KEY");
        assertThat(service(AuthConfig.NONE, NOW).verifyAccess(token).subject()).isEqualTo("alice");
    }

    @Test
    void expiredAndNotYetValidTokensAreRejected() throws Exception {
        String token = service(AuthConfig.NONE, NOW).issueAccess(ALICE, List.of(), NOW);
        assertThatThrownBy(() -> service(AuthConfig.NONE, NOW.plus(Duration.ofMinutes(6))).verifyAccess(token))
                .isInstanceOf(InvalidTokenException.class).hasMessage("expired");
        assertThatThrownBy(() -> service(AuthConfig.NONE, NOW.minus(Duration.ofMinutes(2))).verifyAccess(token))
                .isInstanceOf(InvalidTokenException.class).hasMessage("not valid yet");
    }

    @Test
    void tokensSignedWithAnotherKeyOrTamperedOrUnsignedAreRejected(@TempDir Path elsewhere) throws Exception {
        TokenService tokens = service(AuthConfig.NONE, NOW);
        String foreign = TokenService.open(elsewhere, AuthConfig.NONE, Clock.fixed(NOW, ZoneOffset.UTC))
                .issueAccess(ALICE, List.of(), NOW);
        // Another node with a key of its own: the message says what an operator of several nodes must fix.
        assertThatThrownBy(() -> tokens.verifyAccess(foreign)).hasMessage("signed by a key this registry does not know");

        String token = tokens.issueAccess(ALICE, List.of(Scope.repository("a", "pull")), NOW);
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"a\"", "\"b\"");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes())
                + "." + parts[2];
        assertThatThrownBy(() -> tokens.verifyAccess(tampered)).hasMessage("bad signature");

        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes())
                + "." + parts[1] + ".";
        assertThatThrownBy(() -> tokens.verifyAccess(none)).isInstanceOf(InvalidTokenException.class);
        assertThatThrownBy(() -> tokens.verifyAccess("garbage")).hasMessage("malformed token");
    }

    @Test
    void wrongAudienceIsRejected(@TempDir Path unused) throws Exception {
        String token = service(AuthConfig.NONE.withToken("other-service", "berth", null, Duration.ofMinutes(5)), NOW)
                .issueAccess(ALICE, List.of(), NOW);
        assertThatThrownBy(() -> service(AuthConfig.NONE, NOW).verifyAccess(token)).hasMessage("wrong audience");
    }

    @Test
    void refreshAndAccessTokensAreNotInterchangeable() throws Exception {
        TokenService tokens = service(AuthConfig.NONE, NOW);
        String refresh = tokens.issueRefresh(ALICE, "fingerprint", NOW);
        assertThat(tokens.verifyRefresh(refresh)).isEqualTo(new TokenService.LoginToken("alice", "fingerprint"));
        assertThatThrownBy(() -> tokens.verifyAccess(refresh)).isInstanceOf(InvalidTokenException.class);
        String access = tokens.issueAccess(ALICE, List.of(), NOW);
        assertThatThrownBy(() -> tokens.verifyRefresh(access)).isInstanceOf(InvalidTokenException.class);
    }

    @Test
    void externalIssuersAreCheckedAgainstTheirPemKey() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        Path pem = data.resolve("issuer.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(key.toECPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        AuthConfig auth = AuthConfig.NONE.withExternalIssuers(List.of(
                new AuthConfig.ExternalIssuer("https://auth.example", "berth", pem, null)));
        TokenService tokens = service(auth, NOW);

        String good = external(new ECDSASigner(key), JWSAlgorithm.ES256, null, "https://auth.example", "berth");
        VerifiedToken verified = tokens.verifyAccess(good);
        assertThat(verified.own()).isFalse();
        assertThat(verified.subject()).isEqualTo("ci-system");
        assertThat(verified.allows("repository", "team/app", "pull")).isTrue();

        assertThatThrownBy(() -> tokens.verifyAccess(external(new ECDSASigner(key), JWSAlgorithm.ES256, null,
                "https://auth.example", "someone-else"))).hasMessage("wrong audience");
        assertThatThrownBy(() -> tokens.verifyAccess(external(new ECDSASigner(key), JWSAlgorithm.ES256, null,
                "https://unknown.example", "berth"))).hasMessage("unknown issuer");
        ECKey other = new ECKeyGenerator(Curve.P_256).generate();
        assertThatThrownBy(() -> tokens.verifyAccess(external(new ECDSASigner(other), JWSAlgorithm.ES256, null,
                "https://auth.example", "berth"))).hasMessage("bad signature");
    }

    @Test
    void externalIssuersAreCheckedAgainstTheirJwksByKeyId() throws Exception {
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        Path jwks = data.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
        AuthConfig auth = AuthConfig.NONE.withExternalIssuers(List.of(
                new AuthConfig.ExternalIssuer("idp", "berth", null, jwks)));
        TokenService tokens = service(auth, NOW);
        assertThat(tokens.verifyAccess(external(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa-1", "idp", "berth"))
                .subject()).isEqualTo("ci-system");
        assertThat(tokens.verifyAccess(external(new ECDSASigner(ec), JWSAlgorithm.ES256, "ec-1", "idp", "berth"))
                .subject()).isEqualTo("ci-system");
        assertThatThrownBy(() -> tokens.verifyAccess(external(new ECDSASigner(ec), JWSAlgorithm.ES256, "rsa-1",
                "idp", "berth"))).hasMessage("bad signature");
    }

    static String external(com.nimbusds.jose.JWSSigner signer, JWSAlgorithm algorithm, String keyId, String issuer,
                           String audience) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject("ci-system").audience(audience)
                .issueTime(Date.from(NOW)).expirationTime(Date.from(NOW.plusSeconds(300)))
                .claim("access", List.of(Map.of("type", "repository", "name", "team/app", "actions",
                        List.of("pull"))))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }
}
