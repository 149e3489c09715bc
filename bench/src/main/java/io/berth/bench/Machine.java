package io.berth.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the benchmark ran on, for the report: CPU, memory and the disk under the data directories. */
record Machine(int cpus, String cpuModel, long memoryKib, String disk) {

    static Machine describe(Path dataDir) {
        return new Machine(Runtime.getRuntime().availableProcessors(), readCpuModel(), readMemoryKib(),
                readDisk(dataDir));
    }

    String summary() {
        return "%d × %s, %.1f GiB RAM, disk %s".formatted(cpus, cpuModel, memoryKib / 1024.0 / 1024.0, disk);
    }

    private static String readCpuModel() {
        return procLine("/proc/cpuinfo", "model name");
    }

    private static long readMemoryKib() {
        String line = procLine("/proc/meminfo", "MemTotal");
        try {
            return Long.parseLong(line.replace("kB", "").trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The value after ':' on the first line starting with {@code key}. */
    private static String procLine(String file, String key) {
        try {
            for (String line : Files.readAllLines(Path.of(file))) {
                if (line.startsWith(key)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: leave it unknown
        }
        return "unknown";
    }

    /** Device and file system holding {@code dir}, e.g. "/dev/vda (ext4)", from {@code findmnt}. */
    private static String readDisk(Path dir) {
        try {
            Process findmnt = new ProcessBuilder("findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", dir.toString())
                    .redirectErrorStream(true).start();
            List<String> fields = List.of(new String(findmnt.getInputStream().readAllBytes()).trim().split("\\s+"));
            if (findmnt.waitFor() == 0 && fields.size() == 2) {
                return fields.get(0) + " (" + fields.get(1) + ")";
            }
        } catch (IOException e) {
            // no findmnt
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "unknown";
    }
}
