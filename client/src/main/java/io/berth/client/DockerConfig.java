package io.berth.client;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Docker's {@code config.json}, where {@code docker login}, podman, skopeo, oras and helm keep registry credentials,
 * so one login serves every tool. Looks a registry up as docker does: its {@code credHelpers} entry, else the
 * {@code credsStore}, run as a {@link CredentialHelper}; else its {@code auths} entry. Keys are matched as docker
 * matches them, ignoring an {@code https://} or {@code http://} scheme and any path, and Docker Hub's several names
 * are one. Logins rewrite the file atomically, keeping every field this class does not know.
 */
public final class DockerConfig implements CredentialSource {
    /** Where docker keeps Docker Hub's entry, for historical reasons; other tools read it there too. */
    public static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";
    private static final List<String> DOCKER_HUB_HOSTS = List.of("docker.io", "index.docker.io",
            "registry-1.docker.io");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path file;
    private final List<Path> helperPath;

    private DockerConfig(Path file, List<Path> helperPath) {
        this.file = file;
        this.helperPath = List.copyOf(helperPath);
    }

    /** {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}, as docker finds it. */
    public static DockerConfig load() {
        return load(System.getenv("DOCKER_CONFIG"), Path.of(System.getProperty("user.home")));
    }

    /** {@link #load()} with the environment variable's value (null when unset) and the home directory given. */
    static DockerConfig load(String dockerConfig, Path home) {
        Path dir = dockerConfig != null && !dockerConfig.isEmpty() ? Path.of(dockerConfig) : home.resolve(".docker");
        return at(dir.resolve("config.json"));
    }

    /** The config at this path, which need not exist yet: a missing file holds no credentials. */
    public static DockerConfig at(Path file) {
        return new DockerConfig(file, systemPath());
    }

    /** The same file, with credential helpers looked for in {@code dirs} first, then on the PATH. */
    public DockerConfig withHelperDirectories(List<Path> dirs) {
        List<Path> path = new ArrayList<>(dirs);
        path.addAll(systemPath());
        return new DockerConfig(file, path);
    }

    private static List<Path> systemPath() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty()).map(Path::of).toList();
    }

    public Path file() {
        return file;
    }

    /** The credentials for {@code host[:port]} ({@code docker.io} for Docker Hub); empty means anonymous. */
    @Override
    public Optional<Credentials> credentialsFor(String registry) throws IOException {
        ObjectNode config = read();
        String host = hostOf(registry);
        Optional<CredentialHelper> helper = helperFor(config, host);
        if (helper.isPresent()) {
            return helper.get().get(serverUrl(host));
        }
        return findKey(config.path("auths"), host).map(key -> config.get("auths").get(key))
                .flatMap(DockerConfig::credentialsOf);
    }

    /**
     * Stores the credentials as docker login does: in the registry's credential helper when one is configured (the
     * file then gets an empty {@code auths} entry, as docker writes, so tools listing logins see it), else in the file.
     */
    public void login(String registry, Credentials credentials) throws IOException {
        ObjectNode config = read();
        String host = hostOf(registry);
        ObjectNode entry = JSON.createObjectNode();
        Optional<CredentialHelper> helper = helperFor(config, host);
        if (helper.isPresent()) {
            helper.get().store(serverUrl(host), credentials);
        } else {
            switch (credentials) {
                case Credentials.Basic basic -> entry.put("auth", Base64.getEncoder().encodeToString(
                        (basic.username() + ":" + basic.password()).getBytes(StandardCharsets.UTF_8)));
                case Credentials.IdentityToken token -> entry.put("identitytoken", token.token());
            }
        }
        ObjectNode auths = config.path("auths").isObject() ? (ObjectNode) config.get("auths") : config.putObject("auths");
        auths.set(serverUrl(host), entry);
        write(config);
    }

    /**
     * Forgets the registry's credentials: erases them from its credential helper, if any, and removes every
     * {@code auths} entry naming it (with or without scheme or path, as docker logout does). Whether there were any.
     */
    public boolean logout(String registry) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        ObjectNode config = read();
        String host = hostOf(registry);
        boolean removed = false;
        Optional<CredentialHelper> helper = helperFor(config, host);
        if (helper.isPresent()) {
            removed = helper.get().erase(serverUrl(host));
        }
        if (config.path("auths").isObject()) {
            ObjectNode auths = (ObjectNode) config.get("auths");
            List<String> keys = new ArrayList<>();
            for (Map.Entry<String, JsonNode> entry : auths.properties()) {
                if (hostOf(entry.getKey()).equals(host)) {
                    keys.add(entry.getKey());
                }
            }
            if (!keys.isEmpty()) {
                auths.remove(keys);
                write(config);
                removed = true;
            }
        }
        return removed;
    }

    private Optional<CredentialHelper> helperFor(ObjectNode config, String host) {
        String name = findKey(config.path("credHelpers"), host)
                .map(key -> config.get("credHelpers").get(key).asString(""))
                .orElse(config.path("credsStore").asString(""));
        return name.isEmpty() ? Optional.empty() : Optional.of(new CredentialHelper(name, helperPath));
    }

    /** The key naming the host: the one written as docker writes it if present, else any other spelling of it. */
    private static Optional<String> findKey(JsonNode map, String host) {
        if (!map.isObject()) {
            return Optional.empty();
        }
        if (map.has(serverUrl(host))) {
            return Optional.of(serverUrl(host));
        }
        for (Map.Entry<String, JsonNode> entry : map.properties()) {
            if (hostOf(entry.getKey()).equals(host)) {
                return Optional.of(entry.getKey());
            }
        }
        return Optional.empty();
    }

    private static Optional<Credentials> credentialsOf(JsonNode entry) {
        String identityToken = entry.path("identitytoken").asString("");
        if (!identityToken.isEmpty()) {
            return Optional.of(new Credentials.IdentityToken(identityToken));
        }
        String auth = entry.path("auth").asString("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            int colon = decoded.indexOf(':');
            if (colon > 0) {
                return Optional.of(new Credentials.Basic(decoded.substring(0, colon), decoded.substring(colon + 1)));
            }
        }
        String username = entry.path("username").asString("");
        String password = entry.path("password").asString("");
        if (!username.isEmpty() && !password.isEmpty()) {
            return Optional.of(new Credentials.Basic(username, password));
        }
        return Optional.empty();
    }

    /** {@code host[:port]} of a key or a registry name, with Docker Hub's names as {@code docker.io}. */
    static String hostOf(String key) {
        String host = key.strip();
        if (host.startsWith("https://")) {
            host = host.substring("https://".length());
        } else if (host.startsWith("http://")) {
            host = host.substring("http://".length());
        }
        int slash = host.indexOf('/');
        if (slash >= 0) {
            host = host.substring(0, slash);
        }
        host = host.toLowerCase(Locale.ROOT);
        return DOCKER_HUB_HOSTS.contains(host) ? ImageReference.DOCKER_HUB : host;
    }

    /** The key docker writes and the server URL it hands credential helpers. */
    private static String serverUrl(String host) {
        return host.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_KEY : host;
    }

    private ObjectNode read() throws IOException {
        if (!Files.exists(file)) {
            return JSON.createObjectNode();
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            throw new IOException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return JSON.createObjectNode();
        }
        if (!root.isObject()) {
            throw new IOException(file + " is not a JSON object");
        }
        return (ObjectNode) root;
    }

    /**
     * Replaces the file in one step, never half-written, readable by its owner only (it holds passwords). A symbolic
     * link, as some keep dotfiles, is followed: the file it points at is replaced and the link stays.
     */
    private void write(ObjectNode config) throws IOException {
        Path target = Files.isSymbolicLink(file) ? file.toRealPath() : file;
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp;
        try {
            temp = Files.createTempFile(dir, ".config.json-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            temp = Files.createTempFile(dir, ".config.json-", ".tmp");
        }
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
