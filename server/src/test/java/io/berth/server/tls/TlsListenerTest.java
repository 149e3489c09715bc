package io.berth.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.TlsConfig;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestPki.Credentials;
import io.berth.server.testing.TestPki.KeyFormat;
import io.berth.server.testing.TestPki.KeyType;
import io.berth.server.testing.TestRegistry;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With a certificate and key configured, Berth serves HTTPS only: HTTP/2 for clients that negotiate it by ALPN,
 * HTTP/1.1 for the others, and no connection for a client that does not trust the certificate.
 */
class TlsListenerTest {
    @TempDir
    static Path dir;

    private static TestPki pki;
    private static TestRegistry registry;

    @BeforeAll
    static void startRegistry() {
        pki = TestPki.create(dir.resolve("pki"), "Berth Test CA");
        Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        registry = TestRegistry.start(Backend.SQLITE,
                c -> c.withTls(new TlsConfig(server.certificateFile(), server.keyFile(), null, false)));
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void theBaseEndpointAnswersOverHttp2NegotiatedByAlpn() throws Exception {
        assertThat(registry.url()).startsWith("https://127.0.0.1:");
        try (HttpClient client = client(pki.clientContext(), HttpClient.Version.HTTP_2)) {
            HttpResponse<String> base = client.send(get("/v2/"), HttpResponse.BodyHandlers.ofString());
            assertThat(base.statusCode()).isEqualTo(200);
            assertThat(base.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
            assertThat(base.sslSession()).hasValueSatisfying(session ->
                    assertThat(session.getProtocol()).isEqualTo("TLSv1.3"));
        }
    }

    @Test
    void aClientThatSpeaksOnlyHttp11IsServedToo() throws Exception {
        try (HttpClient client = client(pki.clientContext(), HttpClient.Version.HTTP_1_1)) {
            HttpResponse<String> base = client.send(get("/v2/"), HttpResponse.BodyHandlers.ofString());
            assertThat(base.statusCode()).isEqualTo(200);
            assertThat(base.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        }
    }

    @Test
    void aBlobPushedOverTlsComesBackWhole() throws Exception {
        byte[] content = "carried over TLS".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(content);
        try (HttpClient client = client(pki.clientContext(), HttpClient.Version.HTTP_2)) {
            HttpResponse<Void> pushed = client.send(HttpRequest.newBuilder(
                            URI.create(registry.url() + "/v2/tls/blob/blobs/uploads/?digest=" + digest))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(content)).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(pushed.statusCode()).isEqualTo(201);
            assertThat(pushed.headers().firstValue("Location")).hasValue("/v2/tls/blob/blobs/" + digest);

            HttpResponse<byte[]> pulled = client.send(get("/v2/tls/blob/blobs/" + digest),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(pulled.statusCode()).isEqualTo(200);
            assertThat(pulled.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(pulled.body()).isEqualTo(content);
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFailsTheHandshake() {
        TestPki stranger = TestPki.create(dir.resolve("stranger"), "Some Other CA");
        try (HttpClient client = client(stranger.clientContext(), HttpClient.Version.HTTP_2)) {
            assertThatThrownBy(() -> client.send(get("/v2/"), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void cleartextHttpOnTheTlsPortIsAnswered400SayingThePortSpeaksHttps() throws Exception {
        String answer;
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(registry.hostPort().split(":")[1]))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        // What Go's HTTP server, and so Distribution, answers: clients print it rather than raw TLS alert bytes.
        assertThat(answer).startsWith("HTTP/1.1 400 ").contains("Connection: close")
                .endsWith("\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");

        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create("http://" + registry.hostPort() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).isEqualTo("Client sent an HTTP request to an HTTPS server.\n");
        }
    }

    @Test
    void anRsaCertificateWithAPkcs1KeyServesToo() throws Exception {
        Credentials rsa = pki.server(KeyType.RSA, KeyFormat.TRADITIONAL);
        try (TestRegistry rsaRegistry = TestRegistry.start(Backend.SQLITE,
                     c -> c.withTls(new TlsConfig(rsa.certificateFile(), rsa.keyFile(), null, false)));
             HttpClient client = client(pki.clientContext(), HttpClient.Version.HTTP_2)) {
            HttpResponse<String> base = client.send(
                    HttpRequest.newBuilder(URI.create(rsaRegistry.url() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(base.statusCode()).isEqualTo(200);
            assertThat(base.version()).isEqualTo(HttpClient.Version.HTTP_2);
        }
    }

    @Test
    void startupFailsNamingTheFileWhenTheKeyDoesNotBelongToTheCertificate(@TempDir Path data) {
        Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        Credentials other = pki.client("bob");
        Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(data)
                .withTls(new TlsConfig(server.certificateFile(), other.keyFile(), null, false));

        assertThatThrownBy(() -> BerthServer.start(config).close())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(other.keyFile().toString())
                .hasMessageContaining("does not match");
    }

    @Test
    void theStartupLineSaysHttps(@TempDir Path data) throws Exception {
        Credentials server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(data)
                .withTls(new TlsConfig(server.certificateFile(), server.keyFile(), null, false));
        try (BerthServer berth = BerthServer.start(config)) {
            assertThat(berth.describe()).startsWith("Berth listening on https://127.0.0.1:" + berth.port() + " ");
        }
    }

    private static HttpClient client(SSLContext context, HttpClient.Version version) {
        return HttpClient.newBuilder().sslContext(context).version(version).build();
    }

    private static HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create(registry.url() + path)).build();
    }
}
