package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.berth.client.testing.CuttingProxy;
import io.berth.client.testing.CuttingProxy.Cut;
import io.berth.client.testing.Distribution;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Transfers survive a broken network, and the client waits as long as a busy registry asks it to. */
class TransfersTest {
    private static final RetryPolicy QUICK = new RetryPolicy(4, Duration.ofMillis(10), Duration.ofSeconds(3));

    @TempDir
    static Path dir;
    static Distribution distribution;

    @BeforeAll
    static void start() throws Exception {
        distribution = Distribution.start(dir.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (distribution != null) {
            distribution.close();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void aDownloadCutPartwayResumesWithARangeRequestFromWhereItBroke() throws Exception {
        byte[] bytes = random(24 << 20, 11);
        Descriptor blob = new Descriptor("application/octet-stream", Digest.sha256(bytes), bytes.length);
        RegistryClient direct = RegistryClient.builder(distribution.address()).plainHttp(true).build();
        direct.repository("cut/download").pushBlob(blob, BlobSource.of(bytes), ProgressListener.NONE);

        try (CuttingProxy proxy = CuttingProxy.to(distribution.address())) {
            RegistryClient client = RegistryClient.builder(proxy.hostPort()).plainHttp(true).retry(QUICK).build();
            proxy.cutOnce(Cut.download("/blobs/" + blob.digest(), 10 << 20));
            Path file = dir.resolve("downloaded");

            client.repository("cut/download").pullBlob(blob, file, ProgressListener.NONE);

            assertThat(proxy.hasCut()).isTrue();
            assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
            assertThat(proxy.lastRangeStart("GET", "/blobs/" + blob.digest()).orElseThrow())
                    .isPositive().isLessThanOrEqualTo(10 << 20);
            assertThat(dir.resolve("downloaded.partial")).doesNotExist();
        }
    }

    @Test
    void anUploadCutPartwayAsksTheRegistryHowFarItGotAndGoesOnFromThere() throws Exception {
        byte[] bytes = random(24 << 20, 12);
        Descriptor blob = new Descriptor("application/octet-stream", Digest.sha256(bytes), bytes.length);
        try (CuttingProxy proxy = CuttingProxy.to(distribution.address())) {
            RegistryClient client = RegistryClient.builder(proxy.hostPort()).plainHttp(true).retry(QUICK).build();
            proxy.cutOnce(Cut.upload("PATCH", "/blobs/uploads/", 12 << 20));

            client.repository("cut/upload").pushBlob(blob, BlobSource.of(bytes), ProgressListener.NONE);

            assertThat(proxy.hasCut()).isTrue();
            List<String> patches = proxy.requestHeads("PATCH", "/blobs/uploads/");
            assertThat(patches).hasSize(2);
            assertThat(patches.getLast()).containsPattern("(?i)Content-Range: [0-9]+-" + (bytes.length - 1));
            assertThat(proxy.requestHeads("GET", "/blobs/uploads/")).hasSize(1);
            // Distribution keeps nothing of a cut PATCH and, depending on where the cut fell, either goes on with
            // the session from its start or has lost it, when the client opens a new one.
            assertThat(proxy.requestHeads("POST", "/blobs/uploads/")).hasSizeBetween(1, 2);
        }
        RegistryClient direct = RegistryClient.builder(distribution.address()).plainHttp(true).build();
        Path file = dir.resolve("uploaded");
        direct.repository("cut/upload").pullBlob(blob, file, ProgressListener.NONE);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }

    @Test
    void aBlobWhoseBytesDoNotMatchItsDigestIsRefusedAndNotKept() throws Exception {
        byte[] bytes = random(4096, 13);
        Descriptor blob = new Descriptor("application/octet-stream", Digest.sha256(bytes), bytes.length);
        RegistryClient client = RegistryClient.builder(distribution.address()).plainHttp(true).build();
        client.repository("liar").pushBlob(blob, BlobSource.of(bytes), ProgressListener.NONE);
        Descriptor claimed = new Descriptor("application/octet-stream", blob.digest(), bytes.length - 1);

        Path file = dir.resolve("short");
        assertThatThrownBy(() -> client.repository("liar").pullBlob(claimed, file, ProgressListener.NONE))
                .isInstanceOf(IOException.class).hasMessageContaining(blob.digest().toString());
        assertThat(file).doesNotExist();
        assertThat(dir.resolve("short.partial")).doesNotExist();
    }

    @Test
    void bytesThatAreNotTheBlobFailTheReadThatEndsThemEvenIfTheReaderStopsAtTheSize() throws Exception {
        byte[] promised = random(5000, 14);
        byte[] served = random(5000, 15);
        Descriptor blob = new Descriptor("application/octet-stream", Digest.sha256(promised), promised.length);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/", exchange -> {
            exchange.sendResponseHeaders(200, served.length);
            exchange.getResponseBody().write(served);
            exchange.close();
        });
        server.start();
        try {
            Repository repository = RegistryClient.builder("127.0.0.1:" + server.getAddress().getPort())
                    .plainHttp(true).retry(QUICK).build().repository("tampered");

            try (InputStream in = repository.openBlob(blob, 0)) {
                assertThatThrownBy(() -> in.readNBytes(promised.length)).isInstanceOf(IOException.class)
                        .hasMessageContaining("does not match its digest");
            }
            try (InputStream in = repository.relayBlob(blob, 0)) {
                assertThat(in.readNBytes(promised.length)).as("relayed for a registry to check").isEqualTo(served);
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void busyAnswersAreRetriedAfterTheirRetryAfter() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<Long> times = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/", exchange -> {
            times.add(System.nanoTime());
            int call = calls.incrementAndGet();
            int status = call == 1 ? 429 : call == 2 ? 503 : 200;
            if (status != 200) {
                exchange.getResponseHeaders().add("Retry-After", "1");
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        try {
            RegistryClient client = RegistryClient.builder("127.0.0.1:" + server.getAddress().getPort())
                    .plainHttp(true).retry(QUICK).build();

            client.ping();

            assertThat(calls).hasValue(3);
            assertThat(Duration.ofNanos(times.get(1) - times.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(950));
            assertThat(Duration.ofNanos(times.get(2) - times.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aRegistryThatStaysBrokenEndsInItsOwnErrorAfterTheLastAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/", exchange -> {
            calls.incrementAndGet();
            byte[] body = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"down for maintenance\"}]}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            RegistryClient client = RegistryClient.builder("127.0.0.1:" + server.getAddress().getPort())
                    .plainHttp(true).retry(QUICK).build();

            assertThatThrownBy(client::ping).isInstanceOfSatisfying(RegistryException.class, e -> {
                assertThat(e.status()).isEqualTo(503);
                assertThat(e.getMessage()).isEqualTo("UNAVAILABLE: down for maintenance");
            });
            assertThat(calls).hasValue(QUICK.maxAttempts());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aRegistryThatIsNotThereFailsAfterTheRetries() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RegistryClient client = RegistryClient.builder("127.0.0.1:" + port).plainHttp(true).retry(QUICK).build();

        assertThatThrownBy(client::ping).isInstanceOf(ConnectException.class);
    }
}
