package io.berth.server;

import com.sun.net.httpserver.HttpServer;
import io.berth.oci.Digest;
import io.berth.server.cli.ClientCommands;
import io.berth.server.events.Endpoint;
import io.berth.server.events.EventFormat;
import io.berth.server.events.NotificationsConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A short run of the requests a registry serves most (pushes, monolithic and chunked, and pulls, manifest reads,
 * referrers, tags), against a registry of its own on loopback with temporary data, which sends its events to a
 * webhook endpoint of its own in both formats. The launcher runs it once per build with the JVM recording an AOT
 * cache: the cache then holds the classes loaded and linked and the method profiles of these requests and of the
 * events' delivery, so that a server starts sooner and compiles its hot paths from the first requests.
 */
@Command(name = "train", hidden = true, mixinStandardHelpOptions = true,
        description = "Runs a push and pull workload against a registry of its own (loopback, temporary data).")
final class TrainCommand implements Callable<Integer> {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    private static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final int LARGE_LAYER = 24 * 1024 * 1024;
    private static final Duration DELIVERY_LIMIT = Duration.ofSeconds(60);

    @Option(names = "--images", description = "Images to push and pull (default: ${DEFAULT-VALUE}).")
    int images = 400;

    @Override
    public Integer call() throws Exception {
        Path data = Files.createTempDirectory("berth-train");
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        AtomicLong received = new AtomicLong();
        receiver.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
                received.incrementAndGet();
                exchange.sendResponseHeaders(200, -1);
            }
        });
        receiver.start();
        try {
            URI hook = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/events");
            Config config = Config.DEFAULTS.withListen("127.0.0.1:0").withData(data).withNotifications(
                    new NotificationsConfig(List.of(endpoint("train-cloudevents", hook, EventFormat.CLOUDEVENTS, 1),
                            endpoint("train-distribution", hook, EventFormat.DISTRIBUTION, 20)),
                            NotificationsConfig.NONE.retention(), NotificationsConfig.NONE.source(), false));
            Startup.loadDriver(config);
            try (BerthServer server = BerthServer.start(config)) {
                run(URI.create("http://127.0.0.1:" + server.port()), images);
                clientCommands("127.0.0.1:" + server.port(), data.resolve("client"));
                // Both endpoints take each image push; the training is the delivery's as much as the pushes'.
                long deadline = System.nanoTime() + DELIVERY_LIMIT.toNanos();
                while (received.get() < 2L * images) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("only " + received.get() + " of at least " + 2L * images
                                + " events were delivered within " + DELIVERY_LIMIT.toSeconds() + " s");
                    }
                    Thread.sleep(20);
                }
            }
        } finally {
            receiver.stop(0);
            try (Stream<Path> files = Files.walk(data)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        return 0;
    }

    /**
     * Runs the client commands against the training registry, in this process as the launcher runs them, so that
     * the cache also holds what {@code berth copy}, {@code pull}, {@code push} and the rest load and run.
     */
    static void clientCommands(String registry, Path dir) throws IOException {
        Files.createDirectories(dir);
        String config = dir.resolve("no-logins.json").toString();
        String image = registry + "/train/r0:v0";
        String layout = dir.resolve("layout").toString();
        List<List<String>> commands = List.of(
                List.of("copy", "--referrers", image, registry + "/train/copied:v0"),
                List.of("pull", image, layout),
                List.of("push", layout + ":v0", registry + "/train/pushed:v0"),
                List.of("inspect", image),
                List.of("inspect", "--json", image),
                List.of("tag", image, "again"),
                List.of("tags", registry + "/train/r0"),
                List.of("catalog", registry),
                List.of("discover", image),
                List.of("delete", "-y", registry + "/train/pushed:v0"));
        for (List<String> command : commands) {
            CommandLine commandLine = new CommandLine(new Main());
            ClientCommands.addTo(commandLine);
            StringWriter err = new StringWriter();
            commandLine.setOut(new PrintWriter(Writer.nullWriter())).setErr(new PrintWriter(err));
            List<String> args = new ArrayList<>(command.subList(0, 1));
            args.addAll(List.of("--plain-http", "--registry-config", config));
            args.addAll(command.subList(1, command.size()));
            int exit = commandLine.execute(args.toArray(String[]::new));
            if (exit != 0) {
                throw new IllegalStateException("berth " + String.join(" ", args) + " exited with " + exit + ": "
                        + err.toString().strip());
            }
        }
    }

    private static Endpoint endpoint(String name, URI url, EventFormat format, int batch) {
        return new Endpoint(name, url, format, Set.of(), List.of(), Set.of(), Set.of(), Map.of(), "train-secret",
                Duration.ofSeconds(10), batch);
    }

    /** Pushes {@code images} images to {@code base} and pulls them back, 8 at a time; fails on any unexpected answer. */
    static void run(URI base, int images) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int worker = 0; worker < 8; worker++) {
                int first = worker;
                done.add(clients.submit(() -> {
                    for (int image = first; image < images; image += 8) {
                        new Session(http, base, new Random(image)).image(image);
                    }
                    return null;
                }));
            }
            for (Future<?> worker : done) {
                worker.get();
            }
        }
    }

    /** One image's requests. */
    private record Session(HttpClient http, URI base, Random random) {
        void image(int image) throws Exception {
            String repository = "train/r" + image % 10;
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"" + image + "\","
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}").getBytes(StandardCharsets.UTF_8);
            byte[] small = bytes(256 * 1024 + random.nextInt(768 * 1024));
            byte[] other = bytes(image % 50 == 0 ? LARGE_LAYER : 64 * 1024 + random.nextInt(960 * 1024));
            pushMonolithic(repository, config);
            pushMonolithic(repository, small);
            pushChunked(repository, other);
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                    + descriptor(OCI_CONFIG, config) + ",\"layers\":[" + descriptor(OCI_LAYER, small) + ","
                    + descriptor(OCI_LAYER, other) + "]}";
            String tag = "v" + image;
            expect(send(request(repository, "/manifests/" + tag).header("Content-Type", OCI_MANIFEST)
                    .PUT(BodyPublishers.ofString(manifest))), 201);
            expect(send(request(repository, "/manifests/" + tag).header("Accept", OCI_MANIFEST).HEAD()),
                    200);
            expect(send(request(repository, "/manifests/" + tag).header("Accept", OCI_MANIFEST).GET()), 200);
            for (byte[] blob : List.of(config, small, other)) {
                expect(send(request(repository, "/blobs/" + Digest.sha256(blob)).GET()), 200);
            }
            if (image % 10 == 0) {
                String subject = Digest.sha256(manifest.getBytes(StandardCharsets.UTF_8)).toString();
                String referrer = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":"
                        + "\"application/vnd.example.signature\",\"config\":{\"mediaType\":"
                        + "\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + Digest.sha256("{}".getBytes(
                        StandardCharsets.UTF_8)) + "\",\"size\":2},\"layers\":[" + descriptor(OCI_LAYER, small)
                        + "],\"subject\":{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"" + subject
                        + "\",\"size\":" + manifest.length() + "}}";
                pushMonolithic(repository, "{}".getBytes(StandardCharsets.UTF_8));
                String digest = Digest.sha256(referrer.getBytes(StandardCharsets.UTF_8)).toString();
                expect(send(request(repository, "/manifests/" + digest).header("Content-Type", OCI_MANIFEST)
                        .PUT(BodyPublishers.ofString(referrer))), 201);
                expect(send(request(repository, "/referrers/" + subject).GET()), 200);
                expect(send(request(repository, "/tags/list?n=5").GET()), 200);
            }
        }

        private void pushMonolithic(String repository, byte[] blob) throws Exception {
            expect(send(request(repository, "/blobs/uploads/?digest=" + Digest.sha256(blob))
                    .header("Content-Type", "application/octet-stream").POST(BodyPublishers.ofByteArray(blob))), 201);
        }

        private void pushChunked(String repository, byte[] blob) throws Exception {
            URI location = location(expect(send(request(repository, "/blobs/uploads/")
                    .POST(BodyPublishers.noBody())), 202));
            int half = blob.length / 2;
            for (int[] range : new int[][] {{0, half}, {half, blob.length}}) {
                location = location(expect(send(HttpRequest.newBuilder(location)
                        .header("Content-Type", "application/octet-stream")
                        .header("Content-Range", range[0] + "-" + (range[1] - 1))
                        .method("PATCH", BodyPublishers.ofByteArray(blob, range[0], range[1] - range[0]))), 202));
            }
            String separator = location.getRawQuery() == null ? "?" : "&";
            expect(send(HttpRequest.newBuilder(URI.create(location + separator + "digest=" + Digest.sha256(blob)))
                    .PUT(BodyPublishers.noBody())), 201);
        }

        private byte[] bytes(int size) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            return bytes;
        }

        private static String descriptor(String mediaType, byte[] content) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(content) + "\",\"size\":"
                    + content.length + "}";
        }

        private HttpRequest.Builder request(String repository, String path) {
            return HttpRequest.newBuilder(base.resolve("/v2/" + repository + path));
        }

        private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
            return http.send(request.build(), BodyHandlers.ofByteArray());
        }

        private URI location(HttpResponse<?> response) {
            return response.uri().resolve(response.headers().firstValue("Location").orElseThrow(
                    () -> new IllegalStateException(response.request().method() + " " + response.uri()
                            + " answered without Location")));
        }

        private static HttpResponse<byte[]> expect(HttpResponse<byte[]> response, int status) {
            if (response.statusCode() != status) {
                throw new IllegalStateException(response.request().method() + " " + response.uri() + " answered "
                        + response.statusCode() + " (expected " + status + "): "
                        + new String(response.body(), StandardCharsets.UTF_8).strip());
            }
            return response;
        }
    }
}
