package io.berth.bench.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The disk's durable write speed: {@code dd if=/dev/zero of=<dir>/ddtest bs=1M count=N conv=fsync}, the ceiling
 * for a registry that fsyncs what it acknowledges.
 */
public final class DiskSpeed {
    private DiskSpeed() {
    }

    /** Megabytes (10^6 bytes) per second, timed around the whole {@code dd} including its final fsync. */
    public static double fsyncedWriteMegabytesPerSecond(Path dir, int mebibytes) throws IOException,
            InterruptedException {
        Path target = dir.resolve("ddtest");
        ProcessBuilder dd = new ProcessBuilder("dd", "if=/dev/zero", "of=" + target, "bs=1M",
                "count=" + mebibytes, "conv=fsync").redirectErrorStream(true);
        long began = System.nanoTime();
        Process process = dd.start();
        String output = new String(process.getInputStream().readAllBytes());
        int status = process.waitFor();
        long elapsed = System.nanoTime() - began;
        Files.deleteIfExists(target);
        if (status != 0) {
            throw new IOException("dd failed with " + status + ": " + output.strip());
        }
        return mebibytes * 1024.0 * 1024.0 / 1e6 / (elapsed / 1e9);
    }

    /** {@code sync}: flushes every dirty page, so one server's unflushed writes do not slow the next phase. */
    public static void sync() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }
}
