package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.TlsConfig;
import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestPki.Credentials;
import io.berth.server.testing.TestPki.KeyFormat;
import io.berth.server.testing.TestPki.KeyType;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo (containers/image, Go's TLS stack) against a registry on TLS: it verifies the certificate against the
 * authorities in its {@code --cert-dir}, refuses the registry without them, and presents a client certificate
 * ({@code client.cert} and {@code client.key} in the same directory) when the registry requires one.
 */
class SkopeoTlsTest {
    @TempDir
    static Path dir;

    private static TestPki pki;
    private static Credentials server;
    private static Path trustDir;

    @BeforeAll
    static void certificates() throws IOException {
        ExternalTools.require("skopeo");
        pki = TestPki.create(dir.resolve("pki"), "Berth Test CA");
        server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        trustDir = Files.createDirectories(dir.resolve("certs.d"));
        Files.copy(pki.caFile(), trustDir.resolve("ca.crt"));
    }

    private OciLayout source;
    private Descriptor image;

    @BeforeEach
    void image(@TempDir Path tmp) {
        source = OciLayout.create(tmp.resolve("source"));
        image = source.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("tls", 20_000));
        source.tag(Map.of("v1", image));
    }

    @Test
    void anImageIsCopiedToARegistryWhoseCertificateTheCertDirTrusts() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, c -> c.withTls(tls(null, false)))) {
            skopeo("copy", "--preserve-digests", "--dest-tls-verify=true", "--dest-cert-dir", trustDir.toString(),
                    "oci:" + source.dir() + ":v1", docker(registry, "tls/app:v1")).run();

            byte[] served = skopeo("inspect", "--raw", "--tls-verify=true", "--cert-dir", trustDir.toString(),
                    docker(registry, "tls/app:v1")).run().stdout();
            assertThat(served).isEqualTo(source.blob(image.digest()));
        }
    }

    @Test
    void withoutTheAuthorityTheCertificateIsRefused() {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, c -> c.withTls(tls(null, false)))) {
            Command.Result refused = skopeo("copy", "--dest-tls-verify=true",
                    "oci:" + source.dir() + ":v1", docker(registry, "tls/app:v1")).exec();

            assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
            assertThat(refused.stderr()).contains("x509").contains("unknown authority");
        }
    }

    @Test
    void aRegistryThatRequiresAClientCertificateAcceptsTheOneInTheCertDir() throws IOException {
        Credentials alice = pki.client("alice");
        Path mtlsDir = Files.createDirectories(dir.resolve("mtls.d"));
        Files.copy(pki.caFile(), mtlsDir.resolve("ca.crt"));
        Files.copy(alice.certificateFile(), mtlsDir.resolve("client.cert"));
        Files.copy(alice.keyFile(), mtlsDir.resolve("client.key"));
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, c -> c.withTls(tls(pki.caFile(), true)))) {
            Command.Result anonymous = skopeo("copy", "--dest-tls-verify=true", "--dest-cert-dir", trustDir.toString(),
                    "oci:" + source.dir() + ":v1", docker(registry, "mtls/app:v1")).exec();
            assertThat(anonymous.exitCode()).as("without a client certificate: %s", anonymous.describe()).isNotZero();

            skopeo("copy", "--preserve-digests", "--dest-tls-verify=true", "--dest-cert-dir", mtlsDir.toString(),
                    "oci:" + source.dir() + ":v1", docker(registry, "mtls/app:v1")).run();
            assertThat(skopeo("inspect", "--raw", "--tls-verify=true", "--cert-dir", mtlsDir.toString(),
                    docker(registry, "mtls/app:v1")).run().stdout())
                    .isEqualTo(source.blob(image.digest()));
        }
    }

    private static TlsConfig tls(Path clientCa, boolean require) {
        return new TlsConfig(server.certificateFile(), server.keyFile(), clientCa, require);
    }

    private static String docker(TestRegistry registry, String repositoryAndReference) {
        return "docker://" + registry.hostPort() + "/" + repositoryAndReference;
    }

    private static Command skopeo(String... args) {
        List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        command.addAll(List.of(args));
        return Command.of(command);
    }
}
