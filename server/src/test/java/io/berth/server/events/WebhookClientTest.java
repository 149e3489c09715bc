package io.berth.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.berth.server.testing.TestPki;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

    @Test
    void sendsEachRequestWithItsHeadersAndBodyOverOneKeptConnection() throws Exception {
        try (Script server = new Script(request -> OK);
             WebhookClient client = client(server.url("/hooks/berth?team=a"), Map.of("X-Team", "a"))) {
            byte[] body = "{\"id\":\"7\"}".getBytes(StandardCharsets.UTF_8);
            assertThat(client.post(body, "Berth-Event-Id", "7")).isEqualTo(200);
            assertThat(client.post(body, "Berth-Event-Id", "8", "Berth-Signature", "sha256=ab")).isEqualTo(200);

            assertThat(server.connections.get()).isEqualTo(1);
            String first = server.requests.getFirst();
            assertThat(first).startsWith("POST /hooks/berth?team=a HTTP/1.1\r\n")
                    .contains("\r\nHost: 127.0.0.1:" + server.port() + "\r\n",
                            "\r\nContent-Type: application/cloudevents+json\r\n", "\r\nX-Team: a\r\n",
                            "\r\nBerth-Event-Id: 7\r\n", "\r\nContent-Length: 10\r\n")
                    .endsWith("\r\n\r\n{\"id\":\"7\"}");
            assertThat(server.requests.get(1)).contains("\r\nBerth-Event-Id: 8\r\n", "\r\nBerth-Signature: sha256=ab\r\n");
        }
    }

    @Test
    void readsAnswersInChunksAfterAnInterimOneAndKeepsTheConnection() throws Exception {
        String chunked = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        try (Script server = new Script(request -> chunked); WebhookClient client = client(server.url("/"), Map.of())) {
            assertThat(client.post(new byte[3])).isEqualTo(202);
            assertThat(client.post(new byte[3])).isEqualTo(202);
            assertThat(server.connections.get()).isEqualTo(1);
        }
    }

    @Test
    void opensANewConnectionAfterAnAnswerThatClosesItsOwn() throws Exception {
        String closing = "HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\nsomething broke";
        try (Script server = new Script(request -> closing); WebhookClient client = client(server.url("/"), Map.of())) {
            assertThat(client.post(new byte[1])).isEqualTo(500);
            assertThat(client.post(new byte[1])).isEqualTo(500);
            assertThat(server.connections.get()).isEqualTo(2);
        }
    }

    @Test
    void sendsAgainOnceOverANewConnectionWhenTheKeptOneWasClosedByTheEndpoint() throws Exception {
        try (Script server = new Script(request -> OK); WebhookClient client = client(server.url("/"), Map.of())) {
            assertThat(client.post(new byte[1])).isEqualTo(200);
            server.dropConnections(); // as an idle timeout does, without a word: the next request finds it gone
            assertThat(client.post(new byte[1])).isEqualTo(200);
            assertThat(server.connections.get()).isEqualTo(2);
        }
    }

    @Test
    void failsOnWhatIsNoHttpAnswerAndOnAnEndpointThatDoesNotAnswerInTime() throws Exception {
        try (Script server = new Script(request -> "SSH-2.0-OpenSSH\r\n\r\n");
             WebhookClient client = client(server.url("/"), Map.of())) {
            assertThatThrownBy(() -> client.post(new byte[1])).isInstanceOf(IOException.class)
                    .hasMessageContaining("not an HTTP/1.1 answer");
        }
        try (Script server = new Script(request -> "");
             WebhookClient client = new WebhookClient(server.url("/"), "application/json", Map.of(), TIMEOUT,
                     Duration.ofMillis(300), (SSLSocketFactory) SSLSocketFactory.getDefault())) {
            assertThatThrownBy(() -> client.post(new byte[1])).isInstanceOf(SocketTimeoutException.class);
            assertThat(server.requests).hasSize(1); // not sent again: the endpoint is slow, not gone
        }
    }

    @Test
    void postsOverTlsToAnEndpointWhoseCertificateItTrustsOnly(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir, "webhook-ca");
        TestPki.Credentials credentials = pki.server(TestPki.KeyType.EC, TestPki.KeyFormat.PKCS8);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext(credentials, pki.caCertificate())));
        List<String> bodies = new CopyOnWriteArrayList<>();
        server.createContext("/hook", exchange -> {
            try (exchange) {
                bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        server.start();
        try {
            URI url = URI.create("https://localhost:" + server.getAddress().getPort() + "/hook");
            try (WebhookClient trusting = new WebhookClient(url, "application/json", Map.of(), TIMEOUT, TIMEOUT,
                    pki.clientContext().getSocketFactory())) {
                assertThat(trusting.post("{}".getBytes(StandardCharsets.UTF_8))).isEqualTo(204);
                assertThat(trusting.post("[]".getBytes(StandardCharsets.UTF_8))).isEqualTo(204);
            }
            assertThat(bodies).containsExactly("{}", "[]");
            try (WebhookClient strict = new WebhookClient(url, "application/json", Map.of(), TIMEOUT, TIMEOUT,
                    (SSLSocketFactory) SSLSocketFactory.getDefault())) {
                assertThatThrownBy(() -> strict.post(new byte[1])).isInstanceOf(SSLException.class);
            }
        } finally {
            server.stop(0);
        }
    }

    private static SSLContext serverContext(TestPki.Credentials credentials, X509Certificate ca) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] password = "test".toCharArray();
        keys.setKeyEntry("server", credentials.key(), password, new Certificate[] {credentials.certificate(), ca});
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        return context;
    }

    private static WebhookClient client(URI url, Map<String, String> headers) {
        return new WebhookClient(url, "application/cloudevents+json", headers, TIMEOUT, TIMEOUT,
                (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    /**
     * A loopback server that reads each request (head and {@code Content-Length} body) and writes what the script
     * answers for it ("" answers nothing), closing the connection after one that says {@code Connection: close}.
     */
    private static final class Script implements AutoCloseable {
        final AtomicInteger connections = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private final ServerSocket socket;
        private final Function<String, String> script;

        Script(Function<String, String> script) throws IOException {
            this.script = script;
            this.socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return socket.getLocalPort();
        }

        URI url(String target) {
            return URI.create("http://127.0.0.1:" + port() + target);
        }

        /** Closes the connections the endpoint holds, as an idle timeout would. */
        void dropConnections() throws IOException {
            for (Socket connection : open) {
                connection.close();
            }
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket connection = socket.accept();
                    connections.incrementAndGet();
                    open.add(connection);
                    Thread.ofVirtual().start(() -> serve(connection));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket connection) {
            try (connection; InputStream in = new BufferedInputStream(connection.getInputStream());
                 OutputStream out = connection.getOutputStream()) {
                while (true) {
                    String request = read(in);
                    if (request == null) {
                        return;
                    }
                    requests.add(request);
                    String answer = script.apply(request);
                    out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (answer.contains("Connection: close")) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the client went away
            }
        }

        private static String read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                head.write(c);
                String text = head.toString(StandardCharsets.ISO_8859_1);
                if (text.endsWith("\r\n\r\n")) {
                    int at = text.indexOf("Content-Length: ");
                    int length = at < 0 ? 0
                            : Integer.parseInt(text.substring(at + 16, text.indexOf("\r\n", at)).trim());
                    return text + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            socket.close();
            dropConnections();
        }
    }
}
