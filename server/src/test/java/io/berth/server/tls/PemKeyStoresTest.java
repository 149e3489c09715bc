package io.berth.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestPki.Credentials;
import io.berth.server.testing.TestPki.KeyFormat;
import io.berth.server.testing.TestPki.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.Collections;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PEM files operators bring are read into key stores, and every bad file is named in the error. */
class PemKeyStoresTest {
    @TempDir
    static Path dir;

    private static TestPki pki;

    @BeforeAll
    static void authority() {
        pki = TestPki.create(dir, "Berth Test CA");
    }

    @ParameterizedTest(name = "{0} key as {1} ({2})")
    @CsvSource({
            "EC, PKCS8, PRIVATE KEY",
            "EC, TRADITIONAL, EC PRIVATE KEY",
            "RSA, PKCS8, PRIVATE KEY",
            "RSA, TRADITIONAL, RSA PRIVATE KEY"})
    void aKeyInEachPemFormatLoadsWithItsCertificateChain(KeyType type, KeyFormat format, String pemLabel)
            throws Exception {
        Credentials server = pki.server(type, format);
        assertThat(Files.readString(server.keyFile())).contains("-----BEGIN " + pemLabel + "-----");

        KeyStore store = PemKeyStores.forCertificateAndKey(server.certificateFile(), server.keyFile());

        assertThat(Collections.list(store.aliases())).containsExactly(PemKeyStores.KEY_ALIAS);
        Key loaded = store.getKey(PemKeyStores.KEY_ALIAS, PemKeyStores.IN_MEMORY_PASSWORD);
        if (loaded instanceof ECPrivateKey ec) {
            // A SEC1 file carries the curve and public key too, so compare the secret itself, not the encoding.
            assertThat(ec.getS()).isEqualTo(((ECPrivateKey) server.key()).getS());
        } else {
            assertThat(loaded.getEncoded()).isEqualTo(server.key().getEncoded());
        }
        Certificate[] chain = store.getCertificateChain(PemKeyStores.KEY_ALIAS);
        assertThat(chain).containsExactly(server.certificate(), pki.caCertificate());
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsRejectedNamingBothFiles() {
        Credentials ec = pki.server(KeyType.EC, KeyFormat.PKCS8);
        Credentials otherEc = pki.client("bob");
        Credentials rsa = pki.server(KeyType.RSA, KeyFormat.TRADITIONAL);

        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(ec.certificateFile(), otherEc.keyFile()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match")
                .hasMessageContaining(otherEc.keyFile().toString())
                .hasMessageContaining(ec.certificateFile().toString());
        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(ec.certificateFile(), rsa.keyFile()))
                .as("an RSA key for an EC certificate")
                .hasMessageContaining("does not match");
    }

    @Test
    void aMissingFileIsNamed() {
        Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        Path missing = dir.resolve("nowhere.key");
        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(server.certificateFile(), missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TLS private key file " + missing + " does not exist");
        assertThatThrownBy(() -> PemKeyStores.forTrustedCertificates(dir.resolve("nowhere.crt")))
                .hasMessage("TLS certificate file " + dir.resolve("nowhere.crt") + " does not exist");
    }

    @Test
    void filesThatAreNotPemOrHoldTheWrongThingAreNamedWithWhatIsWrong() throws Exception {
        Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a certificate\n");
        Path broken = Files.writeString(dir.resolve("broken.crt"),
                "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n");

        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(text, server.keyFile()))
                .hasMessageContaining(text.toString()).hasMessageContaining("holds no certificate");
        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(broken, server.keyFile()))
                .hasMessageContaining(broken.toString()).hasMessageContaining("is not valid PEM");
        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(server.keyFile(), server.keyFile()))
                .as("key given as certificate")
                .hasMessageContaining(server.keyFile().toString()).hasMessageContaining("holds a private key");
        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(server.certificateFile(), server.certificateFile()))
                .as("certificate given as key")
                .hasMessageContaining(server.certificateFile().toString()).hasMessageContaining("holds 0 private keys");
    }

    @Test
    void anEncryptedKeyIsRejectedWithAHint() throws Exception {
        Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        // `openssl pkcs8 -topk8 -v2 aes-256-cbc` output for a throwaway P-256 key (passphrase "secret"), generated
        // once for this test.
        Path encrypted = Files.writeString(dir.resolve("encrypted.key"), """
                -----BEGIN ENCRYPTED PRIVATE KEY-----
                MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjGV6exIGNGRgICCAAw
                DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEIYXUNaGLL6oFRlDoaXeA/QEgZBF
                tSI9pFxfSoknRjzkKjFQig5wy6273TXpebNeRgu+0khGF+K5lc7d7k4QX19ul0ys
                GHoPBQIyaU3lzdnXFMT1iGQVRqYm9NznBoqID10YFBOJn5wjVH1AVra+SYTYuR0y
                YL8wHKX5Vy77K994Nf3s/WqS+30djQySnUYYr/SKTI82ZYSsAi6GPAfPX43H5qE=
                -----END ENCRYPTED PRIVATE KEY-----
                """);
        assertThatThrownBy(() -> PemKeyStores.forCertificateAndKey(server.certificateFile(), encrypted))
                .hasMessageContaining(encrypted.toString()).hasMessageContaining("is encrypted");
    }

    @Test
    void aBundleOfAuthoritiesBecomesATrustStoreOfAllOfThem() throws Exception {
        TestPki other = TestPki.create(dir.resolve("other"), "Other CA");
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, Files.readString(pki.caFile()) + Files.readString(other.caFile()));

        KeyStore trust = PemKeyStores.forTrustedCertificates(bundle);

        assertThat(Collections.list(trust.aliases())).hasSize(2);
        assertThat(trust.getCertificateAlias(pki.caCertificate())).isNotNull();
        assertThat(trust.getCertificateAlias(other.caCertificate())).isNotNull();
    }
}
