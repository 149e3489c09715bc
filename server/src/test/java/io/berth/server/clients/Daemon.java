package io.berth.server.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server program a test class starts for itself (dockerd, containerd), with all its state under one temporary
 * directory. It is stopped by its own process id and those of the processes it started, never by name, on
 * {@link #close()} and, should the JVM end first, by a shutdown hook; its directory is removed after it.
 */
final class Daemon implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final Path log;
    private final Process process;
    private final Thread shutdownHook;

    private Daemon(String name, Path dir, Path log, Process process) {
        this.dir = dir;
        this.log = log;
        this.process = process;
        this.shutdownHook = new Thread(this::stop, "stop " + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts {@code command}, its output going to a log file in {@code dir}, and waits until {@code ready} holds.
     * Fails with the log's end if the program exits or is not ready in time; it is stopped again then.
     */
    static Daemon start(String name, Path dir, List<String> command, BooleanSupplier ready) {
        Path log = dir.resolve(name + ".log");
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(log.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        Daemon daemon = new Daemon(name, dir, log, process);
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        try {
            while (!ready.getAsBoolean()) {
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited with " + process.exitValue() + daemon.logTail());
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError(name + " not ready within " + START_TIMEOUT + daemon.logTail());
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            daemon.close();
            throw new AssertionError("interrupted while starting " + name, e);
        } catch (RuntimeException | Error e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /** The last lines of the program's log, for a failure message. */
    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\n--- end of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "\n(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or has run
        }
        unmountLeftovers();
        deleteRecursively(dir);
    }

    /**
     * dockerd bind-mounts its data root onto itself and undoes it on a clean stop; one killed while starting leaves
     * the mount behind, which would keep the directory from being removed.
     */
    private void unmountLeftovers() {
        List<String> mountPoints;
        try {
            mountPoints = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(line -> line.split(" ")[4])
                    .filter(mountPoint -> mountPoint.startsWith(dir + "/"))
                    .sorted(Comparator.reverseOrder())
                    .toList();
        } catch (IOException e) {
            return;
        }
        for (String mountPoint : mountPoints) {
            Command.of("umount", mountPoint).exec();
        }
    }

    /** SIGTERM lets dockerd stop the containerd it started; whatever is left of its children is then killed. */
    private void stop() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroy();
                child.onExit().orTimeout(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                        .exceptionally(timeout -> {
                            child.destroyForcibly();
                            return child;
                        })
                        .join();
            }
        }
    }

    /** Deletes what it can: a file that vanishes or cannot be removed does not stop the rest from going. */
    private static void deleteRecursively(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    deleteQuietly(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    deleteQuietly(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException leftover) {
            // whatever is left stays in the temporary directory
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException leftover) {
            // as above
        }
    }
}
