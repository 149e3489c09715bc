package io.berth.bench.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * s3proxy as a child process on a free loopback port, keeping objects in files under a directory: the S3-compatible
 * store both registries of the comparison on S3 write to, each in a bucket of its own.
 */
public final class S3ProxyProcess implements AutoCloseable {
    public static final String ACCESS_KEY = "bench-access-key";
    public static final String SECRET_KEY = "bench-secret-key";
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(60);

    private final Process process;
    private final int port;

    private S3ProxyProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts s3proxy from {@code jar} with {@code buckets} already made: with its filesystem backend a bucket is a
     * directory under the base directory.
     */
    public static S3ProxyProcess start(Path jar, Path directory, List<String> buckets, Path logFile)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(jar)) {
            throw new IOException("s3proxy not found at " + jar + " (the build copies it there)");
        }
        Path data = directory.resolve("data");
        for (String bucket : buckets) {
            Files.createDirectories(data.resolve(bucket));
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path properties = directory.resolve("s3proxy.conf");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data,
                "jclouds.identity=" + ACCESS_KEY,
                "jclouds.credential=" + SECRET_KEY,
                ""));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-Xmx512m", "-jar", jar.toString(), "--properties",
                properties.toString()).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        S3ProxyProcess proxy = new S3ProxyProcess(process, port);
        proxy.awaitPort(logFile);
        return proxy;
    }

    private void awaitPort(Path logFile) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue() + "; see " + logFile);
            }
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    close();
                    throw new IOException("s3proxy did not listen within " + STARTUP_LIMIT + "; see " + logFile);
                }
                Thread.sleep(50);
            }
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
