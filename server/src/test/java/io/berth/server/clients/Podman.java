package io.berth.server.clients;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * podman as the tests run it: with its own storage under a temporary directory (vfs driver, which needs no kernel
 * overlay support), never the machine's, and without events or systemd cgroups, which a test machine may lack.
 */
final class Podman {
    private Podman() {
    }

    static Command command(Path storage, String... args) {
        List<String> command = new ArrayList<>(List.of("podman",
                "--root", storage.resolve("root").toString(),
                "--runroot", storage.resolve("run").toString(),
                "--tmpdir", storage.resolve("tmp").toString(),
                "--storage-driver", "vfs",
                "--events-backend", "none",
                "--cgroup-manager", "cgroupfs"));
        command.addAll(List.of(args));
        return Command.of(command);
    }
}
