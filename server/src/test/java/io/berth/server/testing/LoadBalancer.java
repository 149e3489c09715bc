package io.berth.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HAProxy or nginx as a child process on a free loopback port, in front of registry nodes on loopback, run on the
 * configuration the deployment guide shows ({@code docs/deploy/haproxy.cfg}, {@code docs/deploy/nginx.conf}) with
 * only its listen address and node addresses replaced. Its access log names the node of each request, which is how a
 * test sees where requests went. Stopped by its PID.
 */
public final class LoadBalancer implements AutoCloseable {
    /** The load balancers the deployment guide documents. */
    public enum Kind { HAPROXY, NGINX }

    /** The node addresses in the documented files, replaced by the test's nodes in this order. */
    private static final List<String> EXAMPLE_NODES = List.of("10.0.0.11:5000", "10.0.0.12:5000");
    private static final Path DOCS = Path.of("..", "docs", "deploy"); // tests run in the module's directory
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private final Kind kind;
    private final Process process;
    private final int port;
    private final Path log;
    private final List<String> nodes;

    private LoadBalancer(Kind kind, Process process, int port, Path log, List<String> nodes) {
        this.kind = kind;
        this.process = process;
        this.port = port;
        this.log = log;
        this.nodes = nodes;
    }

    /**
     * Starts the load balancer in front of {@code nodes} ({@code 127.0.0.1:PORT} each, two of them), with its files in
     * {@code dir}; skips the test (fails it in CI) when the program is not installed.
     */
    public static LoadBalancer start(Kind kind, List<String> nodes, Path dir) {
        if (nodes.size() != EXAMPLE_NODES.size()) {
            throw new IllegalArgumentException("the documented configurations name " + EXAMPLE_NODES.size() + " nodes");
        }
        ExternalTools.require(kind == Kind.HAPROXY ? "haproxy" : "nginx");
        int port = freePort();
        try {
            Files.createDirectories(dir);
            Path log = dir.resolve("access.log");
            Files.createFile(log);
            ProcessBuilder command = kind == Kind.HAPROXY ? haproxy(dir, port, nodes) : nginx(dir, port, nodes);
            command.redirectErrorStream(true);
            // HAProxy logs to its stdout; nginx writes its access log itself, and its errors go to stderr.
            command.redirectOutput(ProcessBuilder.Redirect.appendTo(
                    (kind == Kind.HAPROXY ? log : dir.resolve("error.log")).toFile()));
            LoadBalancer balancer = new LoadBalancer(kind, command.start(), port, log, nodes);
            balancer.awaitPort();
            return balancer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ProcessBuilder haproxy(Path dir, int port, List<String> nodes) throws IOException {
        String config = substitute(Files.readString(DOCS.resolve("haproxy.cfg")), "bind :5000",
                "bind 127.0.0.1:" + port, nodes);
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, config);
        return new ProcessBuilder(program("haproxy"), "-f", file.toString(), "-db");
    }

    private static ProcessBuilder nginx(Path dir, int port, List<String> nodes) throws IOException {
        String site = substitute(Files.readString(DOCS.resolve("nginx.conf")), "listen 5000;",
                "listen 127.0.0.1:" + port + ";", nodes);
        Files.writeString(dir.resolve("berth.conf"), site);
        for (String temp : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            Files.createDirectories(dir.resolve("temp").resolve(temp));
        }
        // The main file a distribution ships (events, temp paths, logs), with the node of each request in the log.
        String main = """
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 512; }
                http {
                    client_body_temp_path %1$s/temp/body;
                    proxy_temp_path %1$s/temp/proxy;
                    fastcgi_temp_path %1$s/temp/fastcgi;
                    uwsgi_temp_path %1$s/temp/uwsgi;
                    scgi_temp_path %1$s/temp/scgi;
                    log_format node '$request_method $uri $status upstream=$upstream_addr';
                    access_log %1$s/access.log node;
                    include %1$s/berth.conf;
                }
                """.formatted(dir.toAbsolutePath());
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, main);
        return new ProcessBuilder(program("nginx"), "-p", dir.toAbsolutePath().toString(), "-c", file.toAbsolutePath()
                .toString(), "-g", "daemon off;");
    }

    /** Replaces the listen address and the example nodes, failing when the documented file no longer has them. */
    private static String substitute(String config, String listen, String testListen, List<String> nodes) {
        if (!config.contains(listen)) {
            throw new IllegalStateException("the documented configuration has no '" + listen + "' any more");
        }
        String result = config.replace(listen, testListen);
        for (int i = 0; i < nodes.size(); i++) {
            if (!result.contains(EXAMPLE_NODES.get(i))) {
                throw new IllegalStateException("the documented configuration has no node " + EXAMPLE_NODES.get(i));
            }
            result = result.replace(EXAMPLE_NODES.get(i), nodes.get(i));
        }
        return result;
    }

    private static String program(String name) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public String url() {
        return "http://" + hostPort();
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * The node ({@code 127.0.0.1:PORT}) each logged request went to, in the order they were logged, with its method
     * and path: {@code "PATCH /v2/x/blobs/uploads/ID 127.0.0.1:PORT"}. Health checks are left out.
     */
    public List<String> routedRequests() {
        List<String> routed = new ArrayList<>();
        // haproxy's httplog: ... berth/node1 ... "PATCH /v2/... HTTP/1.1"; nginx: PATCH /v2/... 202 upstream=ADDR
        Pattern haproxyLine = Pattern.compile(" berth/node(\\d+) .*\"([A-Z]+) (\\S+) HTTP/");
        Pattern nginxLine = Pattern.compile("^([A-Z]+) (\\S+) \\d+ upstream=(\\S+)");
        for (String line : logLines()) {
            if (kind == Kind.HAPROXY) {
                Matcher m = haproxyLine.matcher(line);
                if (m.find()) {
                    routed.add(m.group(2) + " " + m.group(3) + " " + nodes.get(Integer.parseInt(m.group(1)) - 1));
                }
            } else {
                Matcher m = nginxLine.matcher(line);
                if (m.find()) {
                    routed.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
                }
            }
        }
        return routed;
    }

    private List<String> logLines() {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String logTail() {
        List<String> lines = logLines();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** Waits until the balancer accepts connections. */
    private void awaitPort() throws IOException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(kind + " exited with " + process.exitValue() + ":\n" + logTail());
            }
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException(kind + " does not listen on " + port + ":\n" + logTail());
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
        }
    }

    /** SIGTERM to its PID, then SIGKILL. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
