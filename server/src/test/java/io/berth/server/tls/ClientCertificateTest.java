package io.berth.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.server.Config;
import io.berth.server.Listener;
import io.berth.server.TlsConfig;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestPki;
import io.berth.server.testing.TestPki.Credentials;
import io.berth.server.testing.TestPki.KeyFormat;
import io.berth.server.testing.TestPki.KeyType;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mTLS: with client authorities configured, a client certificate they issued is accepted and names the client; with
 * {@code require} a client without one is turned away, with {@code optional} it is let through to authenticate some
 * other way; a certificate from anyone else fails the handshake in both modes.
 */
class ClientCertificateTest {
    @TempDir
    static Path dir;

    private static TestPki pki;
    private static Credentials server;
    private static Credentials alice;
    private static Credentials mallory;

    @BeforeAll
    static void certificates() {
        pki = TestPki.create(dir.resolve("pki"), "Berth Test CA");
        server = pki.server(KeyType.EC, KeyFormat.PKCS8);
        alice = pki.client("alice");
        mallory = TestPki.create(dir.resolve("elsewhere"), "Elsewhere CA").client("mallory");
    }

    @Test
    void whenRequiredOnlyAClientWithACertificateGetsIn() throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, c -> c.withTls(clientAuth(true)))) {
            assertThat(baseStatus(registry.url(), pki.clientContext(alice))).isEqualTo(200);
            assertThatThrownBy(() -> baseStatus(registry.url(), pki.clientContext()))
                    .as("no client certificate").isInstanceOf(IOException.class);
            assertThatThrownBy(() -> baseStatus(registry.url(), TestPki.sslContext(pki.caCertificate(), mallory)))
                    .as("a certificate another authority issued").isInstanceOf(IOException.class);
        }
    }

    @Test
    void whenOptionalClientsWithAndWithoutACertificateGetInButNotWithAForeignOne() throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, c -> c.withTls(clientAuth(false)))) {
            assertThat(baseStatus(registry.url(), pki.clientContext(alice))).isEqualTo(200);
            assertThat(baseStatus(registry.url(), pki.clientContext())).isEqualTo(200);
            assertThatThrownBy(() -> baseStatus(registry.url(), TestPki.sslContext(pki.caCertificate(), mallory)))
                    .as("a certificate another authority issued").isInstanceOf(IOException.class);
        }
    }

    @Test
    void theClientIdentityIsTheCommonNameOfItsCertificate() throws Exception {
        Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withTls(clientAuth(false));
        try (IdentityEcho echo = IdentityEcho.start(config)) {
            assertThat(echo.identity(pki.clientContext(alice), HttpClient.Version.HTTP_2)).isEqualTo("alice");
            assertThat(echo.identity(pki.clientContext(alice), HttpClient.Version.HTTP_1_1)).isEqualTo("alice");
            assertThat(echo.identity(pki.clientContext(), HttpClient.Version.HTTP_2)).isEqualTo("(none)");
        }
    }

    @Test
    void aCleartextListenerHasNoClientIdentity() throws Exception {
        try (IdentityEcho echo = IdentityEcho.start(Config.DEFAULTS.withListen("127.0.0.1:0"))) {
            assertThat(echo.identity(pki.clientContext(), HttpClient.Version.HTTP_1_1)).isEqualTo("(none)");
        }
    }

    private static TlsConfig clientAuth(boolean require) {
        return new TlsConfig(server.certificateFile(), server.keyFile(), pki.caFile(), require);
    }

    private static int baseStatus(String url, SSLContext context) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().sslContext(context).build()) {
            return client.send(HttpRequest.newBuilder(URI.create(url + "/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    /**
     * A bare Jetty server on Berth's listener that answers every request with {@link ClientIdentity#commonName}, until
     * request handling has a place to show it.
     */
    private record IdentityEcho(Server server, ServerConnector connector, String scheme) implements AutoCloseable {
        static IdentityEcho start(Config config) throws Exception {
            Server server = new Server();
            ServerConnector connector = Listener.create(server, config);
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    Content.Sink.write(response, true, ClientIdentity.commonName(request).orElse("(none)"), callback);
                    return true;
                }
            });
            server.start();
            return new IdentityEcho(server, connector, config.tls().enabled() ? "https" : "http");
        }

        String identity(SSLContext context, HttpClient.Version version) throws Exception {
            try (HttpClient client = HttpClient.newBuilder().sslContext(context).version(version).build()) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                                URI.create(scheme + "://127.0.0.1:" + connector.getLocalPort() + "/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.version()).isEqualTo(version);
                return response.body();
            }
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }
}
