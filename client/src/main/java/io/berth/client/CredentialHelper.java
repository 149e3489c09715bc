package io.berth.client;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Docker credential helper ({@code docker-credential-<name>}, docker/docker-credential-helpers): a program that
 * keeps secrets in the system's keychain, {@code pass} or a cloud's token service instead of in {@code config.json}.
 * The action is the argument; {@code get} and {@code erase} read the server URL on stdin, {@code store} a JSON object
 * {@code {"ServerURL","Username","Secret"}}; {@code get} answers the same object on stdout. A user name of
 * {@code <token>} marks the secret as an identity token.
 */
final class CredentialHelper {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN_USER = "<token>";
    /** Helpers may wait for a user to unlock a keychain or type a GPG passphrase. */
    private static final long TIMEOUT_SECONDS = 120;

    private final String name;
    private final List<Path> searchPath;

    /** @param searchPath where to look for the program and the PATH it runs with */
    CredentialHelper(String name, List<Path> searchPath) {
        this.name = name;
        this.searchPath = searchPath;
    }

    /** Empty when the helper holds nothing for the server (its "credentials not found" answer). */
    Optional<Credentials> get(String serverUrl) throws IOException {
        Result result = run("get", serverUrl);
        if (result.notFound()) {
            return Optional.empty();
        }
        result.check("get");
        JsonNode answer;
        try {
            answer = JSON.readTree(result.stdout());
        } catch (JacksonException e) {
            throw new IOException(program() + " get answered something other than JSON");
        }
        String username = answer.path("Username").asString("");
        String secret = answer.path("Secret").asString("");
        if (secret.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(TOKEN_USER.equals(username)
                ? new Credentials.IdentityToken(secret)
                : new Credentials.Basic(username, secret));
    }

    void store(String serverUrl, Credentials credentials) throws IOException {
        ObjectNode input = JSON.createObjectNode();
        input.put("ServerURL", serverUrl);
        switch (credentials) {
            case Credentials.Basic basic -> {
                input.put("Username", basic.username());
                input.put("Secret", basic.password());
            }
            case Credentials.IdentityToken token -> {
                input.put("Username", TOKEN_USER);
                input.put("Secret", token.token());
            }
        }
        run("store", JSON.writeValueAsString(input)).check("store");
    }

    /** Whether the helper held credentials for the server (and now does not). */
    boolean erase(String serverUrl) throws IOException {
        Result result = run("erase", serverUrl);
        if (result.notFound()) {
            return false;
        }
        result.check("erase");
        return true;
    }

    private record Result(String program, int exitCode, String stdout, String stderr) {
        /** docker-credential-helpers' {@code credentials.NewErrCredentialsNotFound()}, which docker checks the same way. */
        boolean notFound() {
            return exitCode != 0 && (stdout + stderr).contains("credentials not found");
        }

        void check(String action) throws IOException {
            if (exitCode != 0) {
                String message = (stdout + " " + stderr).strip();
                throw new IOException(program + " " + action + " failed with exit code " + exitCode
                        + (message.isEmpty() ? "" : ": " + message));
            }
        }
    }

    private String program() {
        return "docker-credential-" + name;
    }

    private Result run(String action, String input) throws IOException {
        Path binary = find();
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), action);
        List<String> path = new ArrayList<>();
        searchPath.forEach(dir -> path.add(dir.toString()));
        builder.environment().put("PATH", String.join(File.pathSeparator, path));
        Process process = builder.start();
        // Drain stderr beside stdout: a helper that fills one pipe while we wait on the other would hang.
        CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()),
                runnable -> Thread.ofVirtual().start(runnable));
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        } catch (IOException closedEarly) {
            // A helper may exit without reading its input; its exit code tells what happened.
        }
        byte[] stdout = process.getInputStream().readAllBytes();
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(program() + " " + action + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + program(), e);
        }
        return new Result(program(), process.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                new String(stderr.join(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private Path find() throws IOException {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(program());
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IOException(program() + " is configured in config.json but is not on the PATH");
    }
}
