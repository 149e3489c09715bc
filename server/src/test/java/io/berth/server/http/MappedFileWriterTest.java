package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.berth.oci.Digest;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Large blob downloads through mapped windows: whole and exact, bounded in what they map all together, those past the
 * budget in small windows, and each with no more than its window resident.
 */
class MappedFileWriterTest {
    private static final int DOWNLOADS = 20;
    private static final int SIZE = 16 * 1024 * 1024;
    private static final Path SMAPS = Path.of("/proc/self/smaps");
    private static final Pattern MAPPING = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    private interface Measure {
        long get() throws Exception;
    }

    @Test
    @Timeout(60)
    void manySlowDownloadsMapNoMoreThanTheBudgetAndEachGetsEveryByte() throws Exception {
        byte[] blob = new byte[SIZE];
        new Random(7).nextBytes(blob);
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE);
             HttpClient client = HttpClient.newHttpClient()) {
            URI base = URI.create(registry.url());
            String digest = push(client, base, blob).toString();

            // Readers that take nothing past the headers: each server write stalls with its window mapped.
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < DOWNLOADS; i++) {
                    sockets.add(requestDownload(registry, digest));
                }
                // 20 × 8 MiB windows would be 160 MiB: 8 downloads share the 64 MiB, the other 12 map the floor.
                assertThat(awaitSteady(MappedFileWriter::mapped)).as("bytes mapped while %d downloads stall", DOWNLOADS)
                        .isEqualTo(MappedFileWriter.BUDGET + (DOWNLOADS - 8) * MappedFileWriter.FLOOR);

                // With the budget spent, a range goes out in windows of the floor, from where it starts.
                int first = 8 * 1024 * 1024 - 1000;
                int last = 12 * 1024 * 1024 + 999;
                HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(
                                base.resolve("/v2/big/blobs/" + digest)).header("Range", "bytes=" + first + "-" + last)
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(range.statusCode()).isEqualTo(206);
                assertThat(range.body()).isEqualTo(Arrays.copyOfRange(blob, first, last + 1));

                for (Socket socket : sockets) {
                    assertThat(sha256OfBody(socket.getInputStream())).isEqualTo(digest);
                }
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (MappedFileWriter.mapped() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(MappedFileWriter.mapped()).as("bytes mapped once every download is done").isZero();
        }
    }

    @Test
    @Timeout(60)
    void aDownloadKeepsOnlyTheWindowItIsWritingResident() throws Exception {
        assumeTrue(Files.isReadable(SMAPS), "needs " + SMAPS + " (Linux) to see what is resident");
        byte[] blob = new byte[48 * 1024 * 1024];
        new Random(11).nextBytes(blob);
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE);
             HttpClient client = HttpClient.newHttpClient()) {
            Digest digest = push(client, URI.create(registry.url()), blob);

            try (Socket socket = requestDownload(registry, digest.toString())) {
                InputStream in = socket.getInputStream();
                long length = readHead(in);
                MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
                long firstPart = 40L * 1024 * 1024;
                readBody(in, firstPart, sha256);

                // The server has written five windows and stalls in the sixth: only that one may be resident.
                long resident = awaitSteady(() -> residentKib(digest.hex()));
                assertThat(resident).as("KiB of the blob resident in this process after %d MiB were sent",
                        firstPart >> 20).isPositive().isLessThanOrEqualTo(MappedFileWriter.WINDOW / 1024);

                readBody(in, length - firstPart, sha256);
                assertThat("sha256:" + HexFormat.of().formatHex(sha256.digest())).isEqualTo(digest.toString());
            }
        }
    }

    /** Uploads {@code blob} to the repository "big" and returns its digest. */
    private static Digest push(HttpClient client, URI base, byte[] blob) throws Exception {
        Digest digest = Digest.sha256(blob);
        HttpResponse<Void> push = client.send(HttpRequest.newBuilder(
                        base.resolve("/v2/big/blobs/uploads/?digest=" + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(push.statusCode()).isEqualTo(201);
        return digest;
    }

    /** Sends a blob's GET on a socket with a small receive buffer, and reads nothing of the answer. */
    private static Socket requestDownload(TestRegistry registry, String digest) throws IOException {
        URI base = URI.create(registry.url());
        Socket socket = new Socket();
        socket.setReceiveBufferSize(64 * 1024);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
        String get = "GET /v2/big/blobs/" + digest + " HTTP/1.1\r\nHost: " + registry.hostPort()
                + "\r\nConnection: close\r\n\r\n";
        socket.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** KiB of the mappings of files whose path contains {@code name} that are resident, from /proc/self/smaps. */
    private static long residentKib(String name) throws IOException {
        long kib = 0;
        boolean counting = false;
        for (String line : Files.readAllLines(SMAPS)) {
            if (MAPPING.matcher(line).lookingAt()) {
                counting = line.contains(name);
            } else if (counting && line.startsWith("Rss:")) {
                kib += Long.parseLong(line.substring(4).replace("kB", "").strip());
            }
        }
        return kib;
    }

    /** Waits until {@code measure} has stopped moving for a moment above zero, and returns it. */
    private static long awaitSteady(Measure measure) throws Exception {
        long last = -1;
        for (int steady = 0; steady < 5; ) {
            Thread.sleep(100);
            long now = measure.get();
            steady = now == last && now > 0 ? steady + 1 : 0;
            last = now;
        }
        return last;
    }

    /** Reads a whole HTTP/1.1 response with a Content-Length and returns its body's digest. */
    private static String sha256OfBody(InputStream in) throws Exception {
        long length = readHead(in);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        readBody(in, length, sha256);
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }

    /** Reads a 200 response's status line and headers, and returns its Content-Length. */
    private static long readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the response ended in its headers: " + head);
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        assertThat(headers).startsWith("HTTP/1.1 200");
        return headers.lines().filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, 15))
                .mapToLong(line -> Long.parseLong(line.substring(15).strip())).findFirst().orElseThrow();
    }

    /** Reads {@code length} bytes of a body into {@code sha256}. */
    private static void readBody(InputStream in, long length, MessageDigest sha256) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        for (long left = length; left > 0; ) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new IOException("the body ended " + left + " bytes short");
            }
            sha256.update(buffer, 0, read);
            left -= read;
        }
    }
}
