package io.berth.s3;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An s3proxy process on a free loopback port, storing objects in a temporary directory, with authentication on: an
 * S3-compatible store for tests. The jar comes from Maven (see the parent POM); where it or a {@code java} launcher
 * is missing the tests that need it are skipped, except in CI ({@code CI=true}), where they fail.
 */
public final class S3Proxy implements AutoCloseable {
    public static final String ACCESS_KEY = "berth-test-key";
    public static final String SECRET_KEY = "berth-test-secret";
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final ProcessBuilder command;
    private final Path directory;
    private final int port;
    private Process process;

    private S3Proxy(ProcessBuilder command, Path directory, int port) {
        this.command = command;
        this.directory = directory;
        this.port = port;
    }

    /** Starts s3proxy, or skips the calling test (fails it in CI) when it cannot run here. */
    public static S3Proxy start() throws IOException, InterruptedException {
        String jarPath = System.getProperty("berth.s3proxy.jar");
        Path jar = jarPath == null ? null : Path.of(jarPath);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String missing = jar == null || !Files.isRegularFile(jar)
                ? "the s3proxy jar (" + jarPath + "; run the tests through Maven, which fetches it)"
                : !Files.isExecutable(java) ? "a java launcher at " + java : null;
        if (missing != null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("S3 tests need " + missing);
            }
            assumeTrue(false, "skipped: S3 tests need " + missing);
        }
        Path directory = Files.createTempDirectory("berth-s3proxy");
        Files.createDirectories(directory.resolve("data"));
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        Path properties = directory.resolve("s3proxy.conf");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=" + endpoint,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + directory.resolve("data"),
                "jclouds.identity=" + ACCESS_KEY,
                "jclouds.credential=" + SECRET_KEY,
                ""));
        ProcessBuilder command = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar.toString(),
                "--properties", properties.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("s3proxy.log").toFile()));
        S3Proxy proxy = new S3Proxy(command, directory, port);
        try {
            proxy.resume();
        } catch (IOException | RuntimeException | InterruptedException e) {
            proxy.close();
            throw e;
        }
        return proxy;
    }

    /** Starts the process (again, after {@link #pause()}), on the same port and objects. */
    public void resume() throws IOException, InterruptedException {
        process = command.start();
        try {
            awaitPort();
        } catch (IOException | RuntimeException | InterruptedException e) {
            String log = Files.readString(directory.resolve("s3proxy.log"));
            throw new IOException("s3proxy did not start: " + e.getMessage() + "\n" + log, e);
        }
    }

    /** Stops the process, keeping its objects: an outage of the object store. */
    public void pause() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitPort() throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(STARTUP);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue());
            }
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IOException("s3proxy does not answer on port " + port + " after " + STARTUP);
                }
                Thread.sleep(100);
            }
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Creates a bucket, and returns settings for a store in it under {@code prefix}. */
    public S3Settings bucket(String bucket, String prefix) {
        try (S3Client client = client()) {
            client.createBucket(b -> b.bucket(bucket));
        }
        return new S3Settings(bucket, prefix, null, endpoint(), true, ACCESS_KEY, SECRET_KEY, null, null);
    }

    public S3Client client() {
        return S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY,
                        SECRET_KEY)))
                .build();
    }

    /** Stops the process and removes its objects. */
    @Override
    public void close() {
        if (process != null) {
            pause();
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
