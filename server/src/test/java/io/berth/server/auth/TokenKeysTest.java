package io.berth.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.SignedJWT;
import io.berth.server.AuthConfig;
import io.berth.server.testing.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token signing key as operators make it, with openssl: the formats it writes load, keys it makes that cannot
 * sign tokens stop startup with a message naming the file, and verification keys let tokens of the previous key
 * through while it is rolled out.
 */
class TokenKeysTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private static final Identity ALICE = Identity.user("alice", Set.of());

    @TempDir
    Path dir;

    @BeforeAll
    static void openssl() {
        ExternalTools.require("openssl");
    }

    private Path openssl(String name, String... arguments) throws Exception {
        Path file = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        command.addAll(List.of("-out", file.toString()));
        run(command);
        return file;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("%s: %s", command, output).isZero();
    }

    private TokenService service(Path signingKey, Path... verificationKeys) {
        return TokenService.open(dir, AuthConfig.NONE.withSigningKeys(signingKey, List.of(verificationKeys)),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** The algorithm a service signs with, after checking its token verifies with it. */
    private JWSAlgorithm signsAndVerifies(TokenService tokens) throws Exception {
        String token = tokens.issueAccess(ALICE, List.of(Scope.repository("team/app", "pull")), NOW);
        assertThat(tokens.verifyAccess(token).subject()).isEqualTo("alice");
        return SignedJWT.parse(token).getHeader().getAlgorithm();
    }

    @Test
    void aP256KeyFromGenpkeySignsEs256() throws Exception {
        Path key = openssl("p256.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        assertThat(signsAndVerifies(service(key))).isEqualTo(JWSAlgorithm.ES256);
        assertThat(Files.exists(dir.resolve(TokenService.KEY_FILE))).as("no key generated beside a configured one")
                .isFalse();
    }

    @Test
    void aSec1KeyFromEcparamLoadsAndItsPublicHalfIsDerived() throws Exception {
        Path key = openssl("sec1.pem", "ecparam", "-name", "prime256v1", "-genkey");
        assertThat(Files.readString(key)).contains("BEGIN EC PARAMETERS").contains("BEGIN EC PRIVATE KEY");
        Path publicKey = openssl("sec1.pub.pem", "ec", "-in", key.toString(), "-pubout");
        // The public key openssl computes names the same key: listed for verification, it adds nothing.
        TokenService tokens = service(key, publicKey);
        assertThat(signsAndVerifies(tokens)).isEqualTo(JWSAlgorithm.ES256);
        assertThat(tokens.publicKeys().getKeys()).hasSize(1);
    }

    @Test
    void p384AndP521KeysSignEs384AndEs512() throws Exception {
        assertThat(signsAndVerifies(service(openssl("p384.pem", "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-384")))).isEqualTo(JWSAlgorithm.ES384);
        assertThat(signsAndVerifies(service(openssl("p521.pem", "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-521")))).isEqualTo(JWSAlgorithm.ES512);
    }

    @Test
    void rsaKeysInPkcs8AndPkcs1SignRs256() throws Exception {
        Path pkcs8 = openssl("rsa.pem", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048");
        assertThat(signsAndVerifies(service(pkcs8))).isEqualTo(JWSAlgorithm.RS256);
        Path pkcs1 = openssl("rsa1.pem", "rsa", "-in", pkcs8.toString(), "-traditional");
        assertThat(Files.readString(pkcs1)).contains("BEGIN RSA PRIVATE KEY");
        TokenService tokens = service(pkcs1);
        assertThat(signsAndVerifies(tokens)).isEqualTo(JWSAlgorithm.RS256);
        assertThat(tokens.publicKeys().getKeys().getFirst().getKeyID())
                .isEqualTo(service(pkcs8).publicKeys().getKeys().getFirst().getKeyID());
    }

    @Test
    void theKeyFileOfTheDataDirectoryServesAsAConfiguredKey(@TempDir Path firstNode) throws Exception {
        // A single node that grows into several: its generated key, copied to the others, keeps its tokens good.
        TokenService single = TokenService.open(firstNode, AuthConfig.NONE, Clock.fixed(NOW, ZoneOffset.UTC));
        String token = single.issueAccess(ALICE, List.of(), NOW);
        TokenService shared = service(firstNode.resolve(TokenService.KEY_FILE));
        assertThat(shared.verifyAccess(token).subject()).isEqualTo("alice");
        assertThat(shared.publicKeys().toString()).isEqualTo(single.publicKeys().toString());
    }

    @Test
    void keysThatCannotSignTokensAreRefusedNamingTheFile() throws Exception {
        Path ed25519 = openssl("ed25519.pem", "genpkey", "-algorithm", "ED25519");
        assertThatThrownBy(() -> service(ed25519)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token signing key " + ed25519).hasMessageContaining("openssl genpkey");

        Path small = openssl("rsa1024.pem", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024");
        assertThatThrownBy(() -> service(small)).hasMessageContaining(small.toString())
                .hasMessageContaining("at least 2048");

        Path k1 = openssl("k1.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1");
        assertThatThrownBy(() -> service(k1)).hasMessageContaining(k1.toString()).hasMessageContaining("P-256");

        Path key = openssl("plain.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        Path encrypted = openssl("encrypted.pem", "pkey", "-in", key.toString(), "-aes256", "-passout",
                "pass:secret");
        assertThatThrownBy(() -> service(encrypted)).hasMessageContaining("token signing key " + encrypted)
                .hasMessageContaining("is encrypted");

        Path publicOnly = openssl("public.pem", "pkey", "-in", key.toString(), "-pubout");
        assertThatThrownBy(() -> service(publicOnly)).hasMessageContaining("token signing key " + publicOnly)
                .hasMessageContaining("holds no private key");

        Path text = Files.writeString(dir.resolve("notes.txt"), "not a key\n");
        assertThatThrownBy(() -> service(text)).hasMessageContaining("token signing key " + text)
                .hasMessageContaining("holds no private key");

        Path unreadable = openssl("unreadable.pem", "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256");
        Files.setPosixFilePermissions(unreadable, Set.of());
        if (!Files.isReadable(unreadable)) { // root reads it anyway
            assertThatThrownBy(() -> service(unreadable)).hasMessage("token signing key " + unreadable
                    + " cannot be read: permission denied for the user Berth runs as");
        }

        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> service(missing)).hasMessage("token signing key " + missing + " does not exist");
        assertThatThrownBy(() -> service(key, missing))
                .hasMessage("token verification key " + missing + " does not exist");
    }

    @Test
    void aRotatedKeyKeepsTheTokensOfThePreviousOneGoodWhileItIsListed() throws Exception {
        Path previous = openssl("previous.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        Path next = openssl("next.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        String issuedBefore = service(previous).issueAccess(ALICE, List.of(), NOW);

        // Step 1, every node: still signing with the previous key, already accepting and publishing the next one.
        TokenService announcing = service(previous, next);
        // Step 2, every node: signing with the next key, still accepting the previous one.
        TokenService rotated = service(next, previous);
        String issuedAfter = rotated.issueAccess(ALICE, List.of(), NOW);
        assertThat(announcing.verifyAccess(issuedAfter).subject()).isEqualTo("alice");
        assertThat(rotated.verifyAccess(issuedBefore).subject()).isEqualTo("alice");
        List<String> published = rotated.publicKeys().getKeys().stream().map(JWK::getKeyID).toList();
        assertThat(published).containsExactly(kid(issuedAfter), kid(issuedBefore));
        assertThat(announcing.publicKeys().getKeys().stream().map(JWK::getKeyID).toList())
                .containsExactly(kid(issuedBefore), kid(issuedAfter));

        // Step 3: the previous key is dropped, and its tokens with it.
        assertThatThrownBy(() -> service(next).verifyAccess(issuedBefore))
                .hasMessage("signed by a key this registry does not know");
    }

    private static String kid(String token) throws Exception {
        return SignedJWT.parse(token).getHeader().getKeyID();
    }
}
