package io.berth.bench.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A registry under test, run as a child process on a fresh data directory on loopback: how long it took to answer
 * its first {@code GET /v2/} with 200, and how much memory it held idle and at its peak.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(60);

    private final String name;
    private final List<String> command;
    /** Variables set for the process, or removed from what it inherits where the value is null. */
    private final Map<String, String> environment;
    private final Path logFile;
    private final URI url;
    private final AtomicLong sampledPeakKib = new AtomicLong();
    private Process process;
    private Duration startTime;

    private ServerProcess(String name, List<String> command, Map<String, String> environment, Path logFile,
                          int port) {
        this.name = name;
        this.command = command;
        this.environment = environment;
        this.logFile = logFile;
        this.url = URI.create("http://127.0.0.1:" + port);
    }

    /**
     * Berth as users start it: its launcher ({@code ./berth serve --listen ... --data ...}), which execs the JVM
     * with the project's default options; {@code javaOptions}, when not blank, replace them (BERTH_JAVA_OPTS).
     */
    public static ServerProcess berth(Path launcher, String javaOptions, Path dataDir, Path logFile)
            throws IOException {
        return berth("Berth", launcher, javaOptions, dataDir, logFile, null);
    }

    /**
     * Berth as above, with its notifications sending every event, as CloudEvents, to {@code eventsUrl}, up to
     * {@code batch} in one request: a config file ({@code --config}) with one endpoint and nothing else.
     */
    public static ServerProcess berthNotifying(String name, Path launcher, String javaOptions, Path dataDir,
                                               Path logFile, URI eventsUrl, int batch) throws IOException {
        Files.createDirectories(dataDir);
        Path config = dataDir.resolveSibling(dataDir.getFileName() + ".yml");
        Files.writeString(config, """
                notifications:
                  endpoints:
                    - name: bench
                      url: %s
                      format: cloudevents
                      batch: %d
                """.formatted(eventsUrl, batch));
        return berth(name, launcher, javaOptions, dataDir, logFile, config);
    }

    /**
     * Berth as several nodes behind a load balancer run it: metadata in PostgreSQL ({@code jdbcUrl}), blobs in
     * {@code bucket} of the S3-compatible store at {@code endpoint}, with path-style requests.
     */
    public static ServerProcess berthOnS3(Path launcher, String javaOptions, Path dataDir, Path logFile,
                                         String jdbcUrl, URI endpoint, String bucket, String accessKey,
                                         String secretKey) throws IOException {
        Files.createDirectories(dataDir);
        Path config = dataDir.resolveSibling(dataDir.getFileName() + ".yml");
        Files.writeString(config, """
                metadata:
                  url: "%s"
                storage:
                  type: s3
                  bucket: %s
                  endpoint: %s
                  region: us-east-1
                  pathStyle: true
                  accessKey: %s
                  secretKey: %s
                """.formatted(jdbcUrl, bucket, endpoint, accessKey, secretKey));
        return berth("Berth", launcher, javaOptions, dataDir, logFile, config);
    }

    private static ServerProcess berth(String name, Path launcher, String javaOptions, Path dataDir, Path logFile,
                                       Path config) throws IOException {
        Files.createDirectories(dataDir);
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "serve", "--listen",
                "127.0.0.1:" + port, "--data", dataDir.toString()));
        if (config != null) {
            command.addAll(List.of("--config", config.toString()));
        }
        Map<String, String> environment = javaOptions.isBlank() ? Map.of() : Map.of("BERTH_JAVA_OPTS", javaOptions);
        return new ServerProcess(name, List.copyOf(command), environment, logFile, port);
    }

    /**
     * CNCF Distribution with filesystem storage, deletes enabled, warnings only and its default in-memory blob
     * descriptor cache. Its per-request access log is switched off because Berth writes none either.
     */
    public static ServerProcess distribution(Path binary, Path dataDir, Path logFile) throws IOException {
        return distribution(binary, dataDir, logFile, """
                  filesystem:
                    rootdirectory: %s
                """.formatted(dataDir), Map.of());
    }

    /**
     * CNCF Distribution as above, with its S3 driver on {@code bucket} of the store at {@code endpoint} (an endpoint
     * makes it address buckets by path) and its default chunk size.
     */
    public static ServerProcess distributionOnS3(Path binary, Path dataDir, Path logFile, URI endpoint,
                                                 String bucket, String accessKey, String secretKey)
            throws IOException {
        // Its AWS SDK fails to start when AWS_CA_BUNDLE is set (it cannot add a CA bundle to the driver's HTTP
        // transport), and the store is plain HTTP anyway.
        Map<String, String> environment = new HashMap<>();
        environment.put("AWS_CA_BUNDLE", null);
        return distribution(binary, dataDir, logFile, """
                  s3:
                    accesskey: %s
                    secretkey: %s
                    region: us-east-1
                    regionendpoint: %s
                    bucket: %s
                    secure: false
                    v4auth: true
                  redirect:
                    disable: true
                """.formatted(accessKey, secretKey, endpoint, bucket), environment);
    }

    /** Distribution with {@code storage} (a driver's section of {@code storage:}, indented) and the settings above. */
    private static ServerProcess distribution(Path binary, Path dataDir, Path logFile, String storage,
                                              Map<String, String> environment) throws IOException {
        Files.createDirectories(dataDir);
        int port = freePort();
        Path config = dataDir.resolveSibling(dataDir.getFileName() + ".yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                %s  delete:
                    enabled: true
                  cache:
                    blobdescriptor: inmemory
                http:
                  addr: 127.0.0.1:%d
                  secret: benchmark-only-secret
                """.formatted(storage, port));
        return new ServerProcess("Distribution", List.of(binary.toString(), "serve", config.toString()), environment,
                logFile, port);
    }

    /** Starts the process and waits for its first 200 on {@code /v2/}. */
    public void start() throws IOException, InterruptedException {
        HttpClient probe = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest base = HttpRequest.newBuilder(url.resolve("/v2/")).timeout(Duration.ofSeconds(2)).GET().build();
        long began = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        environment.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        process = builder.start();
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroy)); // also when the benchmark is interrupted
        long deadline = began + STARTUP_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with " + process.exitValue() + " during startup; see " + logFile);
            }
            try {
                if (probe.send(base, BodyHandlers.discarding()).statusCode() == 200) {
                    startTime = Duration.ofNanos(System.nanoTime() - began);
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(5);
        }
        close();
        throw new IOException(name + " did not answer GET /v2/ with 200 within " + STARTUP_LIMIT + "; see " + logFile);
    }

    public ProcessMemory memory() throws IOException {
        return ProcessMemory.of(process.pid());
    }

    /** The CPU time the process has used so far (user and system, all its threads); zero where the OS does not say. */
    public Duration cpuTime() {
        return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /** Reads the current RSS and remembers it when it is the highest seen. */
    public void sampleMemory() {
        try {
            long rss = memory().rssKib();
            sampledPeakKib.accumulateAndGet(rss, Math::max);
        } catch (IOException | RuntimeException e) {
            // the process is exiting; its last samples stand
        }
    }

    /** The higher of the sampled RSS peak and the kernel's own high-water mark. */
    public long peakRssKib() throws IOException {
        return Math.max(sampledPeakKib.get(), memory().peakKib());
    }

    public String name() {
        return name;
    }

    public URI url() {
        return url;
    }

    public Duration startTime() {
        return startTime;
    }

    /** Asks the process to stop (SIGTERM), and kills it if it has not exited after 30 s. */
    @Override
    public void close() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
