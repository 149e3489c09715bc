package io.berth.server.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external client program with a time limit. Output goes to temporary files rather than pipes, so a chatty
 * program can never block on a full pipe; a failure message carries the command line, the exit code and stderr.
 */
public final class Command {
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    public record Result(List<String> command, int exitCode, byte[] stdout, String stderr) {
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8).strip();
        }

        public String describe() {
            return "`" + String.join(" ", command) + "` exited with " + exitCode
                    + "\n--- stderr ---\n" + stderr
                    + "\n--- stdout ---\n" + new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private final List<String> command = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Duration timeout = DEFAULT_TIMEOUT;
    private String input;

    private Command(List<String> command) {
        this.command.addAll(command);
    }

    public static Command of(String... command) {
        return new Command(List.of(command));
    }

    static Command of(List<String> command) {
        return new Command(command);
    }

    Command timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** Sets a variable in the program's environment, which is otherwise this JVM's. */
    public Command env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Text for the program's standard input (a password for {@code --password-stdin}); otherwise it reads nothing. */
    public Command input(String text) {
        this.input = text;
        return this;
    }

    /** The program and its arguments. */
    public List<String> commandLine() {
        return List.copyOf(command);
    }

    /** Runs the command and fails the test unless it exits with 0. */
    public Result run() {
        Result result = exec();
        if (result.exitCode() != 0) {
            throw new AssertionError(result.describe());
        }
        return result;
    }

    /** Runs the command and returns its outcome whatever the exit code; fails only on a timeout. */
    public Result exec() {
        Path in = null;
        Path out = null;
        Path err = null;
        try {
            if (input != null) {
                in = Files.writeString(Files.createTempFile("command", ".in"), input, StandardCharsets.UTF_8);
            }
            out = Files.createTempFile("command", ".out");
            err = Files.createTempFile("command", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from((in != null ? in : Path.of("/dev/null")).toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("`" + String.join(" ", command) + "` did not finish within " + timeout
                        + "\n--- stderr ---\n" + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(List.copyOf(command), process.exitValue(), Files.readAllBytes(out),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        } finally {
            deleteQuietly(in);
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }
}
