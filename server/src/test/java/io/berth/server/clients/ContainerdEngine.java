package io.berth.server.clients;

import io.berth.server.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A containerd of the test class's own, declared as a static {@code @RegisterExtension} field: started before the
 * first test and stopped after the last, with its root, state, sockets and config under a temporary directory and the
 * Kubernetes (CRI) plugin off. {@code ctr} drives it; images come from {@code ctr images import} of an OCI layout
 * archive, and pulls unpack with the native snapshotter, which needs no kernel support. Nothing runs in a container.
 */
final class ContainerdEngine implements BeforeAllCallback, AfterAllCallback {
    private static final String NAMESPACE = "berth-test";

    private Path dir;
    private Daemon daemon;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        ExternalTools.require("containerd");
        ExternalTools.require("ctr");
        ExternalTools.requireRoot("containerd");
        dir = Files.createTempDirectory("berth-containerd-");
        Path config = Files.writeString(dir.resolve("config.toml"), """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]

                [grpc]
                  address = "%1$s/containerd.sock"

                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"

                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                """.formatted(dir));
        Path socket = dir.resolve("containerd.sock");
        daemon = Daemon.start("containerd", dir, List.of("containerd", "--config", config.toString()),
                () -> Files.exists(socket) && ctr("version").exec().exitCode() == 0);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (daemon != null) {
            daemon.close();
            daemon = null;
        }
    }

    /** ctr, talking to this containerd in the tests' own namespace. */
    Command ctr(String... args) {
        List<String> command = new ArrayList<>(List.of("ctr",
                "--address", dir.resolve("containerd.sock").toString(), "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        return Command.of(command).timeout(Duration.ofMinutes(3));
    }

    /** The digest of the manifest or index an image name points at. */
    String target(String image) {
        for (String line : ctr("images", "ls").run().stdoutText().split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length >= 3 && columns[0].equals(image)) {
                return columns[2];
            }
        }
        throw new AssertionError("no image " + image + " in containerd");
    }

    /** Removes images and waits for the garbage collector, so their content is gone and a pull downloads it again. */
    void remove(String... images) {
        List<String> command = new ArrayList<>(List.of("images", "rm", "--sync"));
        command.addAll(List.of(images));
        ctr(command.toArray(String[]::new)).run();
    }

    /** What containerd's content store holds, by digest. */
    ImageContent content() {
        return new ImageContent() {
            @Override
            public byte[] manifest(String digest) {
                return blob(digest);
            }

            @Override
            public byte[] blob(String digest) {
                return ctr("content", "get", digest).run().stdout();
            }
        };
    }
}
