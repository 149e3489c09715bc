package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code berth serve} as a real process: the startup line, and SIGTERM draining an in-flight upload. */
class ServeCommandTest {
    private static final Pattern STARTUP = Pattern.compile(
            "Berth listening on http://127\\.0\\.0\\.1:(\\d+) \\(storage: filesystem (.+), metadata: sqlite, auth: off\\)");

    @TempDir
    Path data;

    @Test
    void sigtermLetsAnInFlightUploadFinishThenExits() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "io.berth.server.Main", "serve", "--listen", "127.0.0.1:0", "--data", data.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher m = STARTUP.matcher(line == null ? "" : line);
            assertThat(m.matches()).as("startup line: %s", line).isTrue();
            assertThat(Path.of(m.group(2))).isEqualTo(data.toAbsolutePath().normalize());
            String base = "http://127.0.0.1:" + m.group(1);

            HttpURLConnection start = (HttpURLConnection) URI.create(base + "/v2/drain/blobs/uploads/").toURL().openConnection();
            start.setRequestMethod("POST");
            assertThat(start.getResponseCode()).isEqualTo(202);
            String location = start.getHeaderField("Location");

            byte[] first = "first half ".getBytes(StandardCharsets.UTF_8);
            byte[] second = "second half".getBytes(StandardCharsets.UTF_8);
            byte[] all = (new String(first, StandardCharsets.UTF_8) + new String(second, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8);
            String digest = io.berth.oci.Digest.sha256(all).toString();
            HttpURLConnection put = (HttpURLConnection) URI.create(base + location + "?digest=" + digest).toURL().openConnection();
            put.setRequestMethod("PUT");
            put.setDoOutput(true);
            put.setChunkedStreamingMode(16);
            OutputStream body = put.getOutputStream();
            body.write(first);
            body.flush();
            Thread.sleep(300);

            process.destroy(); // SIGTERM while the request is in flight
            Thread.sleep(500);
            body.write(second);
            body.close();
            assertThat(put.getResponseCode()).isEqualTo(201);
            assertThat(put.getHeaderField("Docker-Content-Digest")).isEqualTo(digest);

            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            String hex = digest.substring("sha256:".length());
            assertThat(Files.readAllBytes(data.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex))).isEqualTo(all);
        } finally {
            process.destroyForcibly();
        }
    }
}
