package io.berth.bench.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.berth.bench.client.UnexpectedResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** curl against a small HTTP server on loopback: what it sends and receives is counted on both sides. */
class CurlTest {
    private static final int SIZE = 3 * 1024 * 1024 + 17;

    private HttpServer server;
    private final AtomicLong received = new AtomicLong();
    private final AtomicReference<String> method = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        if (!Files.isExecutable(Curl.DEFAULT_EXECUTABLE)) {
            // .ci/run installs curl: in CI its absence is a failure, elsewhere a skip
            assertThat("true".equalsIgnoreCase(System.getenv("CI"))).as("curl is required in CI").isFalse();
            assumeTrue(false, "curl is not installed (apt-get install curl): skipped");
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/blob", exchange -> {
            method.set(exchange.getRequestMethod());
            try (InputStream in = exchange.getRequestBody()) {
                received.set(in.transferTo(OutputStream.nullOutputStream()));
            }
            if (exchange.getRequestMethod().equals("PUT")) {
                exchange.sendResponseHeaders(201, -1);
            } else {
                exchange.sendResponseHeaders(200, SIZE);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(new byte[SIZE]);
                }
            }
            exchange.close();
        });
        server.createContext("/missing", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void aPutSendsTheWholeFileAndReportsTheStatus(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("body");
        Files.write(file, new byte[SIZE]);
        Curl.Transfer transfer = new Curl(Curl.DEFAULT_EXECUTABLE).put(uri("/blob?digest=x"), file);
        assertThat(transfer).isEqualTo(new Curl.Transfer(201, SIZE));
        assertThat(method.get()).isEqualTo("PUT");
        assertThat(received.get()).isEqualTo(SIZE);
    }

    @Test
    void aGetCountsTheBytesItDiscarded() throws Exception {
        Curl curl = new Curl(Curl.DEFAULT_EXECUTABLE);
        assertThat(curl.get(uri("/blob"))).isEqualTo(new Curl.Transfer(200, SIZE));
        assertThat(curl.get(uri("/missing")).status()).isEqualTo(404);
    }

    @Test
    void anUnreachableServerIsAnUnexpectedResponse() {
        URI nowhere = URI.create("http://127.0.0.1:1/blob");
        assertThatThrownBy(() -> new Curl(Curl.DEFAULT_EXECUTABLE).get(nowhere))
                .isInstanceOf(UnexpectedResponse.class).hasMessageContaining("curl exited with");
    }
}
