package io.berth.server.clients;

import io.berth.server.testing.ExternalTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Docker engine of the test class's own, declared as a static {@code @RegisterExtension} field: a dockerd started
 * before the first test and stopped after the last, with its data, state, socket and daemon config under a temporary
 * directory, no network setup (no iptables, no bridge) and the vfs storage driver, which needs no kernel support.
 * The CLI talks to it through {@code DOCKER_HOST} and keeps its logins in a private {@code DOCKER_CONFIG}, so the
 * machine's engine and the user's saved logins are never touched. Images come from {@code docker build} of
 * {@code FROM scratch} or from {@code docker load}; nothing runs in a container. dockerd treats a registry on
 * 127.0.0.1 as insecure, so it speaks plain HTTP to Berth there.
 */
public final class DockerEngine implements BeforeAllCallback, AfterAllCallback {
    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64}) size:");

    private Path dir;
    private Daemon daemon;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        ExternalTools.require("dockerd");
        ExternalTools.require("docker");
        ExternalTools.requireRoot("dockerd");
        dir = Files.createTempDirectory("berth-dockerd-");
        Path daemonJson = dir.resolve("daemon.json");
        // dockerd 20.10 writes its identity key to /etc/docker unless told where
        Files.writeString(daemonJson, "{\"deprecated-key-path\": \"" + dir.resolve("key.json") + "\"}");
        Files.createDirectories(dir.resolve("config"));
        Path socket = dir.resolve("docker.sock");
        daemon = Daemon.start("dockerd", dir, List.of("dockerd",
                        "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
                        "--data-root", dir.resolve("data").toString(),
                        "--exec-root", dir.resolve("exec").toString(),
                        "--pidfile", dir.resolve("docker.pid").toString(),
                        "--config-file", daemonJson.toString(),
                        "-H", "unix://" + socket),
                () -> Files.exists(socket) && docker("version").exec().exitCode() == 0);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (daemon != null) {
            daemon.close();
            daemon = null;
        }
    }

    /** The docker CLI, talking to this engine with this engine's logins; the classic builder builds. */
    public Command docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return Command.of(command)
                .env("DOCKER_HOST", "unix://" + dir.resolve("docker.sock"))
                .env("DOCKER_CONFIG", configDir().toString())
                .env("DOCKER_BUILDKIT", "0")
                .env("DOCKER_CLI_HINTS", "false");
    }

    /** Where the CLI keeps its {@code config.json}, with the logins. */
    public Path configDir() {
        return dir.resolve("config");
    }

    /**
     * Builds {@code FROM base} (or scratch) plus one layer holding {@code files}, tagged {@code tag}; returns the image
     * id. The files are written to {@code rootfs} in {@code context}.
     */
    public String build(Path context, String tag, String base, Map<String, byte[]> files) {
        Tarballs.writeFiles(context.resolve("rootfs"), files);
        return build(context, tag, base);
    }

    /** Builds {@code FROM base} plus one layer of what {@code rootfs} in {@code context} holds; returns the image id. */
    String build(Path context, String tag, String base) {
        try {
            Files.writeString(context.resolve("Dockerfile"), "FROM " + base + "\nCOPY rootfs/ /\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        docker("build", "--quiet", "--tag", tag, context.toString()).timeout(Duration.ofMinutes(5)).run();
        return imageId(tag);
    }

    /** Loads an archive in {@code docker save} format; returns the engine's output. */
    String load(Path archive) {
        return docker("load", "--input", archive.toString()).run().stdoutText();
    }

    public String imageId(String image) {
        return docker("image", "inspect", "--format", "{{.Id}}", image).run().stdoutText();
    }

    /** Pushes and returns the manifest digest the engine reports. */
    public Pushed push(String image) {
        Command.Result result = docker("push", image).timeout(Duration.ofMinutes(5)).run();
        Matcher digest = PUSHED_DIGEST.matcher(result.stdoutText());
        if (!digest.find()) {
            throw new AssertionError("no digest in the push output\n" + result.describe());
        }
        return new Pushed(digest.group(1), result.stdoutText());
    }

    public record Pushed(String digest, String output) {}

    /** Removes local images, so that the next pull must download them again. */
    public void remove(String... images) {
        List<String> command = new ArrayList<>(List.of("image", "rm", "--force"));
        command.addAll(List.of(images));
        docker(command.toArray(String[]::new)).run();
    }

    /** The regular files of every layer of a local image, read from {@code docker save}. */
    public Map<String, byte[]> files(String image) {
        return DockerArchive.files(docker("save", image).run().stdout());
    }
}
