package io.berth.bench.measure;

import io.berth.bench.client.UnexpectedResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves one large body with {@code curl}, which reads and writes at the kernel's pace, so a transfer measures the
 * server rather than a Java client's copies and hashing. Bodies it sends come from a file; bodies it receives are
 * discarded (their digest is checked once with the Java client beforehand).
 */
public final class Curl {
    public static final Path DEFAULT_EXECUTABLE = Path.of("/usr/bin/curl");

    private final Path executable;

    public Curl(Path executable) {
        this.executable = executable;
    }

    /** What curl reported: the status and the bytes it moved in the direction that mattered. */
    public record Transfer(int status, long bytes) {
    }

    /** {@code PUT} of a file as the body. */
    public Transfer put(URI target, Path body) throws IOException, InterruptedException, UnexpectedResponse {
        return run(List.of("-X", "PUT", "-H", "Content-Type: application/octet-stream", "-T", body.toString(),
                "-w", "%{http_code} %{size_upload}", target.toString()));
    }

    /** {@code GET}, discarding the body. */
    public Transfer get(URI target) throws IOException, InterruptedException, UnexpectedResponse {
        return run(List.of("-w", "%{http_code} %{size_download}", target.toString()));
    }

    /** {@code GET} into {@code file}, as a user downloads a blob. */
    public Transfer download(URI target, Path file) throws IOException, InterruptedException, UnexpectedResponse {
        return run(file.toString(), List.of("-w", "%{http_code} %{size_download}", target.toString()));
    }

    private Transfer run(List<String> arguments) throws IOException, InterruptedException, UnexpectedResponse {
        return run("/dev/null", arguments);
    }

    private Transfer run(String output, List<String> arguments) throws IOException, InterruptedException,
            UnexpectedResponse {
        List<String> command = new ArrayList<>(List.of(executable.toString(), "-s", "-S", "-o", output));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int exit = process.waitFor();
        String[] fields = printed.split("\\s+");
        if (exit != 0 || fields.length < 2) {
            throw new UnexpectedResponse("curl exited with " + exit + ": " + printed);
        }
        return new Transfer(Integer.parseInt(fields[fields.length - 2]),
                (long) Double.parseDouble(fields[fields.length - 1]));
    }
}
