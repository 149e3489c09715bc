package io.berth.server.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.client.RegistryClient;
import io.berth.oci.Descriptor;
import io.berth.server.TlsConfig;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestPki.KeyFormat;
import io.berth.server.testing.TestPki.KeyType;
import io.berth.server.testing.TestRegistry;
import java.nio.file.Path;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client speaks TLS to a registry whose certificate it can check, and only with leave to one it cannot. */
class TlsTest {
    @Test
    void aRegistryWithAPrivateCaIsTrustedWithItsContextAndRefusedWithoutIt(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "Client Test CA");
        TestPki.Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE,
                c -> c.withTls(new TlsConfig(server.certificateFile(), server.keyFile(), null, false)))) {
            RegistryClient trusting = RegistryClient.builder(registry.hostPort()).sslContext(pki.clientContext())
                    .build();
            Descriptor pushed = TokenSignInTest.pushImage(trusting.repository("tls/app"), "v1", 8);

            assertThat(trusting.repository("tls/app").resolve("v1")).contains(pushed);
            assertThatThrownBy(() -> RegistryClient.builder(registry.hostPort()).build().ping())
                    .isInstanceOf(SSLHandshakeException.class);
            RegistryClient unchecked = RegistryClient.builder(registry.hostPort()).tlsVerify(false).build();
            assertThat(unchecked.repository("tls/app").pullManifest("v1").descriptor()).isEqualTo(pushed);
        }
    }
}
