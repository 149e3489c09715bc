package io.berth.server;

import static io.berth.server.protocol.TestContent.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.server.testing.ChildServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry under many transfers at once, run with the JVM limits of the launcher ({@code ./berth}): a thousand
 * downloads whose clients stall before reading (and hundreds of uploads meanwhile) must all complete, whole, and the
 * process must stay within the memory target (peak RSS ≤ 400 MB). Unbounded mapped windows, each stalled download
 * holding its own, once took the process to gigabytes here; copying the downloads past the mapping budget through
 * pooled buffers instead ran out of the launcher's direct memory and cut them short. Neither shows in this test
 * JVM, with its large default limits.
 */
class ConcurrentTransfersTest {
    private static final int DOWNLOADS = 1000;
    private static final int UPLOADS = 200;
    private static final int LARGE = 8 * 1024 * 1024; // sent through mapped windows
    private static final int SMALL = 512 * 1024; // copied through pooled buffers
    private static final long PEAK_RSS_TARGET_KIB = 400_000_000L / 1024;
    private static final int STALLED_UPLOADS = 300;

    @Test
    @Timeout(300)
    void stalledDownloadsAndUploadsMeanwhileAllCompleteWithinTheMemoryTarget(@TempDir Path dir) throws Exception {
        try (ChildServer server = ChildServer.start(dir.resolve("data"), Map.of(), dir.resolve("server.log"),
                ChildServer.launcherJavaOptions());
             HttpClient client = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build()) {
            Random random = new Random(11);
            URI base = URI.create(server.url());
            byte[] large = pushed(client, base, randomBytes(random, LARGE));
            byte[] small = pushed(client, base, randomBytes(random, SMALL));
            // One in five downloads large: a thousand stalled windows of the floor's size would, by themselves, take
            // most of the target.
            assertAllWhole(server, stallThenRead(base, i -> i % 5 == 0 ? large : small, () -> {
                assertThat(uploadAll(client, base, random)).as("upload statuses while %d downloads stall", DOWNLOADS)
                        .hasSize(UPLOADS).containsOnly(201);
                HttpResponse<Void> root = client.send(HttpRequest.newBuilder(base.resolve("/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                assertThat(root.statusCode()).isEqualTo(200);
            }));
            assertThat(server.peakResidentKib()).as("peak RSS in KiB; server log:%n%s", server.logTail())
                    .isLessThanOrEqualTo(PEAK_RSS_TARGET_KIB);
        }
    }

    @Test
    @Timeout(300)
    void aThousandStalledLargeDownloadsAllComplete(@TempDir Path dir) throws Exception {
        try (ChildServer server = ChildServer.start(dir.resolve("data"), Map.of(), dir.resolve("server.log"),
                ChildServer.launcherJavaOptions());
             HttpClient client = HttpClient.newHttpClient()) {
            URI base = URI.create(server.url());
            byte[] large = pushed(client, base, randomBytes(new Random(12), LARGE));
            assertAllWhole(server, stallThenRead(base, i -> large, () -> { }));
        }
    }

    @Test
    @Timeout(300)
    void uploadsWhoseClientsStallDoNotHoldUpOthers(@TempDir Path dir) throws Exception {
        CountDownLatch resume = new CountDownLatch(1);
        try (ChildServer server = ChildServer.start(dir.resolve("data"), Map.of(), dir.resolve("server.log"),
                ChildServer.launcherJavaOptions());
             HttpClient client = HttpClient.newHttpClient();
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            URI base = URI.create(server.url());
            Random random = new Random(13);
            List<StalledUpload> stalled = new ArrayList<>();
            for (int i = 0; i < STALLED_UPLOADS; i++) {
                // More than the pools lend buffers for at once; a few past the point where writing gets a thread of its own.
                int size = i % 20 == 0 ? 24 << 20 : 2 << 20;
                byte[] content = randomBytes(random, size);
                stalled.add(new StalledUpload(base, "load/stalled", content, size / 2, resume, clients));
            }
            for (StalledUpload upload : stalled) {
                upload.firstPartSent.get(60, TimeUnit.SECONDS);
            }
            Thread.sleep(500); // the server reads what has arrived, and waits for the rest

            // Finishes while every stalled upload still waits for its client: the idle timeout (30 s) would end them
            // before this request's own timeout if it had to wait for their buffers.
            byte[] blob = randomBytes(random, 1 << 20);
            HttpResponse<Void> quick = client.send(HttpRequest.newBuilder(
                            base.resolve("/v2/load/quick/blobs/uploads/?digest=" + Digest.sha256(blob)))
                    .timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(quick.statusCode()).isEqualTo(201);

            resume.countDown();
            Map<String, Long> statuses = new TreeMap<>();
            for (StalledUpload upload : stalled) {
                statuses.merge(upload.statusLine.get(60, TimeUnit.SECONDS), 1L, Long::sum);
            }
            assertThat(statuses).as("server log:%n%s", server.logTail())
                    .isEqualTo(Map.of("HTTP/1.1 201 Created", (long) STALLED_UPLOADS));
            for (StalledUpload upload : stalled) {
                HttpResponse<byte[]> back = client.send(HttpRequest.newBuilder(
                        base.resolve("/v2/load/stalled/blobs/" + upload.digest)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(Digest.sha256(back.body())).isEqualTo(upload.digest);
            }
        } finally {
            resume.countDown(); // no client waits on after a failure
        }
    }

    /** A monolithic upload on a raw connection that sends part of its body, waits, then sends the rest. */
    private static final class StalledUpload {
        final Digest digest;
        final CompletableFuture<Void> firstPartSent = new CompletableFuture<>();
        final CompletableFuture<String> statusLine = new CompletableFuture<>();

        StalledUpload(URI base, String repository, byte[] blob, int firstPart, CountDownLatch resume,
                      ExecutorService clients) {
            this.digest = Digest.sha256(blob);
            clients.submit(() -> {
                try (Socket socket = new Socket(base.getHost(), base.getPort())) {
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST /v2/" + repository + "/blobs/uploads/?digest=" + digest + " HTTP/1.1\r\nHost: "
                            + base.getAuthority() + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + blob.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(blob, 0, firstPart);
                    out.flush();
                    firstPartSent.complete(null);
                    resume.await();
                    out.write(blob, firstPart, blob.length - firstPart);
                    out.flush();
                    String line = new String(socket.getInputStream().readNBytes(64), StandardCharsets.US_ASCII);
                    statusLine.complete(line.lines().findFirst().orElse("(no response)"));
                } catch (Exception e) {
                    firstPartSent.completeExceptionally(e);
                    statusLine.complete(e.toString());
                }
                return null;
            });
        }
    }

    private interface Meanwhile {
        void run() throws Exception;
    }

    /**
     * Starts {@link #DOWNLOADS} downloads of {@code blobs.apply(i)} that read nothing for a while, so that every
     * server write stalls once the sockets' buffers are full; runs {@code meanwhile}, then reads them all.
     */
    private static List<Download> stallThenRead(URI base, IntFunction<byte[]> blobs, Meanwhile meanwhile)
            throws Exception {
        List<Download> downloads = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < DOWNLOADS; i++) {
                byte[] blob = blobs.apply(i);
                downloads.add(Download.start(base, "/v2/load/blobs/" + Digest.sha256(blob), blob.length));
            }
            Thread.sleep(3000);
            meanwhile.run();
            readAll(selector, downloads);
        }
        return downloads;
    }

    private static void assertAllWhole(ChildServer server, List<Download> downloads) {
        Map<String, Long> outcomes = downloads.stream()
                .collect(Collectors.groupingBy(Download::outcome, TreeMap::new, Collectors.counting()));
        assertThat(outcomes).as("outcomes of the downloads; server log:%n%s", server.logTail())
                .isEqualTo(Map.of("200, whole", (long) downloads.size()));
    }

    private static byte[] pushed(HttpClient client, URI base, byte[] blob) throws Exception {
        assertThat(upload(client, base, "load", blob)).isEqualTo(201);
        return blob;
    }

    /** The JVM options {@code ./berth} starts the registry with when {@code BERTH_JAVA_OPTS} is not set. */
    private static int upload(HttpClient client, URI base, String repository, byte[] blob) throws Exception {
        HttpRequest post = HttpRequest.newBuilder(
                        base.resolve("/v2/" + repository + "/blobs/uploads/?digest=" + Digest.sha256(blob)))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build();
        return client.send(post, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** {@link #UPLOADS} distinct 1 MiB blobs, all in flight at once. */
    private static List<Integer> uploadAll(HttpClient client, URI base, Random random) throws Exception {
        List<byte[]> blobs = new ArrayList<>();
        for (int i = 0; i < UPLOADS; i++) {
            blobs.add(randomBytes(random, 1024 * 1024));
        }
        try (ExecutorService uploaders = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                byte[] blob = blobs.get(i);
                String repository = "load/up-" + (i % 10);
                statuses.add(uploaders.submit(() -> upload(client, base, repository, blob)));
            }
            List<Integer> result = new ArrayList<>();
            for (Future<Integer> status : statuses) {
                result.add(status.get());
            }
            return result;
        }
    }

    /** Reads every download to its end, all of them at once. */
    private static void readAll(Selector selector, List<Download> downloads) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1024 * 1024);
        for (Download download : downloads) {
            download.channel.configureBlocking(false);
            download.channel.register(selector, SelectionKey.OP_READ, download);
        }
        int open = downloads.size();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (open > 0 && System.nanoTime() < deadline) {
            selector.select(1000);
            for (SelectionKey key : selector.selectedKeys()) {
                Download download = (Download) key.attachment();
                buffer.clear();
                int read;
                try {
                    read = download.channel.read(buffer);
                } catch (IOException e) {
                    read = -1;
                    download.failure = e.toString();
                }
                if (read < 0 || download.accept(buffer.flip())) {
                    key.cancel();
                    download.channel.close();
                    open--;
                }
            }
            selector.selectedKeys().clear();
        }
    }

    /** One raw HTTP/1.1 {@code GET} whose response is taken apart as it arrives. */
    private static final class Download {
        private static final byte[] HEADER_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");

        final String path;
        final SocketChannel channel;
        final long size;
        final String expectedHex;
        final MessageDigest sha256;
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched;
        boolean inBody;
        long contentLength = Long.MAX_VALUE; // until the headers say, the body ends with the connection
        long bodyBytes;
        String failure;

        private Download(String path, SocketChannel channel, long size, String expectedHex)
                throws NoSuchAlgorithmException {
            this.path = path;
            this.channel = channel;
            this.size = size;
            this.expectedHex = expectedHex;
            this.sha256 = MessageDigest.getInstance("SHA-256");
        }

        static Download start(URI base, String path, long size) throws Exception {
            SocketChannel channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024); // before connecting: the window
            channel.connect(new InetSocketAddress(base.getHost(), base.getPort()));
            // Kept alive, as clients do: a connection closed with its response still in the kernel's buffers would
            // be an orphan, which the kernel resets when a thousand of them exhaust its TCP memory.
            String get = "GET " + path + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\n\r\n";
            ByteBuffer request = ByteBuffer.wrap(get.getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                channel.write(request);
            }
            return new Download(path, channel, size, path.substring(path.lastIndexOf(':') + 1));
        }

        /** Takes the next bytes of the response; true once it is complete. */
        boolean accept(ByteBuffer bytes) {
            while (!inBody && bytes.hasRemaining()) {
                byte next = bytes.get();
                head.write(next);
                matched = next == HEADER_END[matched] ? matched + 1 : next == '\r' ? 1 : 0;
                inBody = matched == HEADER_END.length;
                if (inBody) {
                    Matcher length = CONTENT_LENGTH.matcher(head.toString(StandardCharsets.US_ASCII));
                    contentLength = length.find() ? Long.parseLong(length.group(1)) : contentLength;
                }
            }
            bodyBytes += bytes.remaining();
            sha256.update(bytes);
            return inBody && bodyBytes >= contentLength;
        }

        String outcome() {
            if (failure != null) {
                return failure;
            }
            String status = head.toString(StandardCharsets.US_ASCII).lines().findFirst().orElse("(no response)");
            if (!status.startsWith("HTTP/1.1 200")) {
                return status;
            }
            String hex = HexFormat.of().formatHex(sha256.digest());
            return bodyBytes == size && hex.equals(expectedHex) ? "200, whole"
                    : "200 with " + bodyBytes + " of " + size + " bytes, sha256 " + hex;
        }
    }
}
