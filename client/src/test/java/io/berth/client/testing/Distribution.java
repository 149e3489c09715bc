package io.berth.client.testing;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * CNCF Distribution 2.8.2 (Debian's {@code docker-registry}) on a loopback port, with deletes enabled and, when given
 * users, htpasswd (Basic) authentication: the peer registry the client must work with unchanged.
 */
public final class Distribution implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private Distribution(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** An open registry, storing under {@code dir}. */
    public static Distribution start(Path dir) throws IOException, InterruptedException {
        return start(dir, Map.of());
    }

    /** A registry that asks for Basic authentication of these users (name → password); open when empty. */
    public static Distribution start(Path dir, Map<String, String> users) throws IOException, InterruptedException {
        Path binary = ExternalTools.require("docker-registry", "docker-registry");
        Files.createDirectories(dir);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String auth = "";
        if (!users.isEmpty()) {
            Path htpasswd = dir.resolve("htpasswd");
            Files.writeString(htpasswd, users.entrySet().stream()
                    .map(e -> e.getKey() + ":" + BCrypt.withDefaults().hashToString(4, e.getValue().toCharArray()))
                    .collect(Collectors.joining("\n", "", "\n")));
            auth = """
                    auth:
                      htpasswd:
                        realm: distribution
                        path: %s
                    """.formatted(htpasswd);
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                  secret: test-only-secret
                %s""".formatted(dir.resolve("data"), port, auth));
        Path log = dir.resolve("distribution.log");
        Process process = new ProcessBuilder(binary.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Distribution distribution = new Distribution(process, port, log);
        distribution.awaitReady();
        return distribution;
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest request = HttpRequest.newBuilder(java.net.URI.create("http://" + address() + "/v2/"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("Distribution exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            try {
                int status = probe.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(50);
        }
        close();
        throw new IOException("Distribution did not start within 20 s: " + Files.readString(log));
    }

    /** {@code 127.0.0.1:port}, as image references name the registry. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** What Distribution logged, for a failing test's message. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
