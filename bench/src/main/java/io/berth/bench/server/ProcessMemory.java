package io.berth.bench.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's memory as the kernel reports it in {@code /proc/<pid>/status}.
 *
 * @param rssKib  {@code VmRSS}: resident set size now
 * @param peakKib {@code VmHWM}: the highest resident set size so far
 */
public record ProcessMemory(long rssKib, long peakKib) {

    public static ProcessMemory of(long pid) throws IOException {
        long rss = -1;
        long peak = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kib(line);
            } else if (line.startsWith("VmHWM:")) {
                peak = kib(line);
            }
        }
        if (rss < 0 || peak < 0) {
            throw new IOException("no VmRSS/VmHWM for process " + pid);
        }
        return new ProcessMemory(rss, peak);
    }

    /** {@code "VmRSS:     129932 kB"} to 129932. */
    private static long kib(String line) {
        String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
        return Long.parseLong(parts[0]);
    }
}
