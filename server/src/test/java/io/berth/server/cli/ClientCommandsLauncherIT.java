package io.berth.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.clients.Command;
import io.berth.server.clients.OciLayout;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ChildServer;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands through the runnable jar, where what the JVM is given matters: a real stdin for
 * {@code --password-stdin}, a locale that is not UTF-8, the exit status of the process.
 */
class ClientCommandsLauncherIT {
    private static final Path JAR = Path.of("target", "berth.jar").toAbsolutePath();

    private static Command berth(Path config, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(ChildServer.launcherJavaOptions());
        command.addAll(List.of("-jar", JAR.toString()));
        command.add(args[0]);
        command.addAll(List.of("--plain-http", "--registry-config", config.toString()));
        command.addAll(List.of(args).subList(1, args.length));
        return Command.of(command.toArray(String[]::new)).env("LANG", "C").env("LC_ALL", "C");
    }

    @Test
    void aSignedInPushAndARawInspectKeepEveryByte(@TempDir Path dir) throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            Path config = dir.resolve("config.json");
            OciLayout layout = OciLayout.create(dir.resolve("layout"));
            OciLayout.Descriptor configBlob = layout.put("application/vnd.oci.image.config.v1+json",
                    "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8));
            OciLayout.Descriptor layer = layout.put("application/vnd.oci.image.layer.v1.tar",
                    ("layer " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":" + json(configBlob) + ",\"layers\":[" + json(layer) + "],"
                    + "\"annotations\":{\"org.opencontainers.image.description\":\"Grüße, ☃\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            OciLayout.Descriptor image = layout.put("application/vnd.oci.image.manifest.v1+json", manifest);
            layout.tag(Map.of("v1", image));
            String ref = registry.hostPort() + "/team/launcher:v1";

            berth(config, "login", registry.hostPort(), "-u", "alice", "--password-stdin")
                    .input(AuthFixture.password("alice") + "\n").run();
            assertThat(Files.readString(config)).contains(registry.hostPort());

            Command.Result push = onATerminal(berth(config, "push", layout.dir().toString(), ref), "");
            assertThat(push.exitCode()).as(push.describe()).isZero();
            // a bar redrawn in place rather than a line per blob
            assertThat(push.stdoutText()).contains("\rpushing [", "2/2 blobs").doesNotContain("pushing sha256:");
            Command.Result raw = berth(config, "inspect", "--raw", ref).run();
            assertThat(raw.stdout()).isEqualTo(manifest);

            Command.Result missing = berth(config, "inspect", registry.hostPort() + "/team/launcher:none").exec();
            assertThat(missing.exitCode()).as(missing.describe()).isEqualTo(ExitCodes.NOT_FOUND);
            assertThat(missing.stderr()).startsWith("berth: ");
        }
    }

    @Test
    void onATerminalLoginAsksForCredentialsAndDeleteForConfirmation(@TempDir Path dir) throws Exception {
        ExternalTools.require("script");
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, AuthFixture::secured)) {
            Path config = dir.resolve("config.json");
            Command.Result login = onATerminal(berth(config, "login", registry.hostPort()),
                    "alice\n" + AuthFixture.password("alice") + "\n");
            assertThat(login.exitCode()).as(login.describe()).isZero();
            assertThat(login.stdoutText()).contains("Username:", "Password:", "Login succeeded: alice");
            // (the terminal echoes what was typed ahead, before the password prompt turned echo off)

            OciLayout layout = Images.single(dir.resolve("layout"), OciLayout.Flavour.OCI, "v1");
            String ref = registry.hostPort() + "/team/asked:v1";
            Command.Result push = onATerminal(berth(config, "push", layout.dir().toString(), ref), "");
            assertThat(push.exitCode()).as(push.describe()).isZero();
            // a bar redrawn in place rather than a line per blob
            assertThat(push.stdoutText()).contains("\rpushing [", "2/2 blobs").doesNotContain("pushing sha256:");

            Command.Result no = onATerminal(berth(config, "delete", ref), "n\n");
            assertThat(no.exitCode()).as(no.describe()).isEqualTo(ExitCodes.FAILED);
            assertThat(no.stdoutText()).contains("[y/N]", "not deleted");
            berth(config, "inspect", ref).run();

            Command.Result yes = onATerminal(berth(config, "delete", ref), "y\n");
            assertThat(yes.exitCode()).as(yes.describe()).isZero();
            assertThat(berth(config, "inspect", ref).exec().exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        }
    }

    /** Runs the command under {@code script}, on a pseudo-terminal that {@code typed} is typed into. */
    private static Command.Result onATerminal(Command command, String typed) {
        String line = command.commandLine().stream().map(arg -> "'" + arg.replace("'", "'\\''") + "'")
                .collect(java.util.stream.Collectors.joining(" "));
        return Command.of("script", "--quiet", "--return", "--command", line, "/dev/null")
                .env("LANG", "C").env("LC_ALL", "C").input(typed).exec();
    }

    private static String json(OciLayout.Descriptor descriptor) {
        return "{\"mediaType\":\"" + descriptor.mediaType() + "\",\"digest\":\"" + descriptor.digest()
                + "\",\"size\":" + descriptor.size() + "}";
    }
}
