package io.berth.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry as a separate process, started through the CLI ({@code io.berth.server.Main serve}) on this test
 * JVM's class path: a test can kill it with SIGKILL and start it again on the same data, or run it with the JVM
 * limits of the launcher and watch its memory.
 */
public final class ChildServer implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final Process process;
    private final int port;
    private final Path log;
    private final ProcessBuilder builder;

    private ChildServer(Process process, int port, Path log, ProcessBuilder builder) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.builder = builder;
    }

    /**
     * Starts {@code serve --listen 127.0.0.1:<free port> --data <data>} with the given extra environment (any other
     * {@code BERTH_*} variable of this JVM is not passed on) and waits until {@code GET /v2/} answers 200.
     */
    public static ChildServer start(Path data, Map<String, String> environment, Path log) {
        return start(data, environment, log, List.of("-Xmx512m"));
    }

    /** As {@link #start(Path, Map, Path)}, with these JVM options (heap, collector, direct memory). */
    public static ChildServer start(Path data, Map<String, String> environment, Path log, List<String> jvmOptions) {
        return start(data, environment, log, jvmOptions, freePort());
    }

    private static ChildServer start(Path data, Map<String, String> environment, Path log, List<String> jvmOptions,
                                     int port) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED",
                "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.berth.server.Main", "serve", "--listen", "127.0.0.1:" + port, "--data", data.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("BERTH_"));
        builder.environment().putAll(environment);
        // Stopped at once unless a test is about draining: SIGTERM otherwise keeps serving for the drain delay.
        builder.environment().putIfAbsent("BERTH_SHUTDOWN_DRAIN_DELAY", "0");
        return launch(builder, port, log);
    }

    private static ChildServer launch(ProcessBuilder builder, int port, Path log) {
        try {
            ChildServer server = new ChildServer(builder.start(), port, log, builder);
            server.awaitReady();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + builder.command(), e);
        }
    }

    /**
     * Starts the server again, once this process has ended, with the same command, environment and port: a node a
     * load balancer knows by its address comes back where it was.
     */
    public ChildServer restart() {
        if (process.isAlive()) {
            throw new IllegalStateException("the server still runs (pid " + pid() + ")");
        }
        return launch(builder, port, log);
    }

    /**
     * The JVM options the launcher ({@code ./berth}) runs the server with by default: its heap, collector and direct
     * memory limits, and what it does when the heap runs out.
     */
    public static List<String> launcherJavaOptions() {
        Path launcher = Path.of("..", "berth"); // tests run in the module's directory
        try {
            String script = Files.readString(launcher);
            Matcher defaults = Pattern.compile("java_opts=\\$\\{BERTH_JAVA_OPTS:-\"([^\"]+)\"}").matcher(script);
            Matcher always = Pattern.compile("exec \"\\$java\" \\$java_opts ([^\\\\]*)").matcher(script);
            if (!defaults.find() || !always.find()) {
                throw new IllegalStateException("no default JVM options found in " + launcher.toAbsolutePath());
            }
            List<String> options = new ArrayList<>(List.of(defaults.group(1).strip().split("\\s+")));
            options.addAll(List.of(always.group(1).strip().split("\\s+")));
            return options;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** The most memory the process has had resident so far ({@code VmHWM}), in KiB. */
    public long peakResidentKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmHWM in /proc/" + pid() + "/status");
    }

    /** SIGKILL: the process gets no chance to flush, close or clean anything. */
    public void kill() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
    }

    /** SIGTERM, without waiting for the process to stop. */
    public void terminate() {
        process.destroy();
    }

    /** The exit status once the process has ended, waiting up to {@code timeout}; empty if it still runs. */
    public OptionalInt awaitExit(Duration timeout) {
        return waitForExit(timeout) ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 20 seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!waitForExit(Duration.ofSeconds(20))) {
            kill();
        }
    }

    private boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/readyz")).timeout(Duration.ofSeconds(5)).build();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("server exited with " + process.exitValue() + ":\n" + logTail());
                }
                try {
                    if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        throw new IllegalStateException("server did not answer GET /readyz with 200 within " + STARTUP + ":\n" + logTail());
    }

    public String logTail() {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
        } catch (IOException e) {
            return "(no log: " + e + ")";
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
