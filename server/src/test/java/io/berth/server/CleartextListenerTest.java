package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.server.testing.Backend;
import io.berth.server.testing.LogCapture;
import io.berth.server.testing.TestRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Without TLS configured the port speaks cleartext HTTP. dockerd tries HTTPS first on every command against an
 * insecure registry: its TLS handshake is answered with a short HTTP 400 (which Go clients report as "server gave
 * HTTP response to HTTPS client") and said once in the log, not once per command.
 */
class CleartextListenerTest {
    private static TestRegistry registry;

    @BeforeAll
    static void start() {
        registry = TestRegistry.start(Backend.SQLITE);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void aTlsHandshakeOnTheCleartextPortIsAnsweredWithAnHttp400() throws Exception {
        try (SSLSocket socket = (SSLSocket) trustingEveryone().getSocketFactory().createSocket("127.0.0.1",
                port(registry))) {
            socket.setSoTimeout(10_000);
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
        }
        String answer = exchange(registry, clientHelloStart());
        assertThat(answer).startsWith("HTTP/1.1 400 ").contains("Connection: close")
                .endsWith("\r\n\r\nClient sent an HTTPS request to an HTTP server.\n");
    }

    @Test
    void tlsHandshakesAreLoggedOnceAndQuietlyAfterThat() throws Exception {
        try (TestRegistry fresh = TestRegistry.start(Backend.SQLITE);
             LogCapture berth = new LogCapture("io.berth");
             LogCapture jetty = new LogCapture("org.eclipse.jetty")) {
            for (int i = 0; i < 3; i++) {
                assertThat(exchange(fresh, clientHelloStart())).startsWith("HTTP/1.1 400 ");
            }
            assertThat(berth.lines()).singleElement().asString().startsWith("INFO ")
                    .contains("TLS handshake on this cleartext HTTP port");
            assertThat(jetty.lines()).isEmpty();
        }
    }

    @Test
    void cleartextHttpIsServedAsBeforeOverHttp11() throws Exception {
        String answer = exchange(registry, ("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(answer).startsWith("HTTP/1.1 200 ").contains("Docker-Distribution-API-Version: registry/2.0");
    }

    /** The first bytes of a TLS 1.2 record carrying a ClientHello, as dockerd's probe begins. */
    private static byte[] clientHelloStart() {
        return new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03};
    }

    /** Sends {@code bytes} on a new connection and reads until the server closes it. */
    static String exchange(TestRegistry server, byte[] bytes) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port(server))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    static int port(TestRegistry server) {
        return Integer.parseInt(server.hostPort().substring(server.hostPort().lastIndexOf(':') + 1));
    }

    private static SSLContext trustingEveryone() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        return context;
    }
}
