package io.berth.bench.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The socket client against a small HTTP server on loopback that answers HEAD like a registry. */
class HeadClientTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    private HttpServer server;
    private HeadClient client;
    private final AtomicInteger requests = new AtomicInteger();
    private final Set<Object> connections = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v2/", exchange -> {
            requests.incrementAndGet();
            connections.add(exchange.getRemoteAddress());
            String path = exchange.getRequestURI().getPath();
            boolean known = exchange.getRequestMethod().equals("HEAD")
                    && exchange.getRequestHeaders().getFirst("Accept").contains(RegistryClient.OCI_MANIFEST);
            if (path.endsWith("/close")) {
                exchange.getResponseHeaders().add("Connection", "close");
            }
            exchange.getResponseHeaders().add("Docker-Content-Digest", path.endsWith("/other") ? "sha256:00" : DIGEST);
            exchange.getResponseHeaders().add("Content-Length", "1234"); // a HEAD answer announces the body it omits
            exchange.sendResponseHeaders(known && !path.endsWith("/missing") ? 200 : 404, -1);
            exchange.close();
        });
        server.start();
        client = new HeadClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop(0);
    }

    @Test
    void checksStatusAndDigestOverOneKeptAliveConnection() throws Exception {
        for (int i = 0; i < 20; i++) {
            client.headManifest("team/app", "v1", DIGEST);
        }
        assertThat(requests.get()).isEqualTo(20);
        assertThat(connections).as("one keep-alive connection for the calling thread").hasSize(1);
    }

    @Test
    void aWrongDigestOrStatusIsAnError() {
        assertThatThrownBy(() -> client.headManifest("team/app", "other", DIGEST))
                .isInstanceOf(UnexpectedResponse.class).hasMessageContaining("sha256:00");
        assertThatThrownBy(() -> client.headManifest("team/app", "missing", DIGEST))
                .isInstanceOf(UnexpectedResponse.class).hasMessageContaining("404");
    }

    @Test
    void reconnectsAfterTheServerClosesTheConnection() throws Exception {
        client.headManifest("team/app", "close", DIGEST);
        client.headManifest("team/app", "v1", DIGEST);
        assertThat(requests.get()).isEqualTo(2);
        assertThat(connections).hasSize(2);
    }
}
