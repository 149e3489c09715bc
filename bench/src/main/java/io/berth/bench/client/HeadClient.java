package io.berth.bench.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code HEAD} requests over plain HTTP/1.1 sockets, one keep-alive connection per calling thread. The JDK's
 * {@code HttpClient} spends about as much CPU per request as a registry answering from memory, so on two shared cores
 * it measured itself rather than the server; {@code wrk} cannot send {@code HEAD} (it waits for the body that the
 * response's {@code Content-Length} announces). This sends the request line and two headers and reads the status line
 * and headers of the answer, which for {@code HEAD} has no body; every answer is checked.
 */
public final class HeadClient implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 64 * 1024;

    private final String host;
    private final int port;
    private final String hostHeader;
    private final List<Connection> all = new ArrayList<>();
    private final ThreadLocal<Connection> connections = new ThreadLocal<>();

    public HeadClient(URI base) {
        this.host = base.getHost();
        this.port = base.getPort();
        this.hostHeader = host + ":" + port;
    }

    /** What came back: the status code and the headers, names in lower case. */
    public record Answer(int status, Map<String, String> headers) {
    }

    /** Sends {@code HEAD path} with an {@code Accept} header and returns the answer's status and headers. */
    public Answer head(String path, String accept) throws IOException {
        Connection connection = connections.get();
        if (connection == null || connection.socket.isClosed()) {
            connection = open();
        }
        byte[] request = ("HEAD " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAccept: " + accept + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try {
            connection.out.write(request);
            connection.out.flush();
            Answer answer = connection.read();
            if ("close".equalsIgnoreCase(answer.headers().get("connection"))) {
                connection.socket.close();
            }
            return answer;
        } catch (IOException e) {
            connection.socket.close();
            throw e;
        }
    }

    /**
     * {@code HEAD} of a manifest by tag; throws unless the answer is 200 with {@code Docker-Content-Digest}
     * {@code expectedDigest}.
     */
    public void headManifest(String repository, String reference, String expectedDigest) throws IOException,
            UnexpectedResponse {
        Answer answer = head("/v2/" + repository + "/manifests/" + reference, RegistryClient.ACCEPT_MANIFESTS);
        if (answer.status() != 200) {
            throw new UnexpectedResponse("HEAD manifest " + repository + ":" + reference + " answered "
                    + answer.status() + ", expected 200");
        }
        String digest = answer.headers().getOrDefault("docker-content-digest", "(none)");
        if (!digest.equals(expectedDigest)) {
            throw new UnexpectedResponse("HEAD manifest " + repository + ":" + reference
                    + " answered Docker-Content-Digest " + digest + ", expected " + expectedDigest);
        }
    }

    private Connection open() throws IOException {
        Socket socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        Connection connection = new Connection(socket);
        connections.set(connection);
        synchronized (all) {
            all.add(connection);
        }
        return connection;
    }

    @Override
    public void close() {
        synchronized (all) {
            for (Connection connection : all) {
                try {
                    connection.socket.close();
                } catch (IOException e) {
                    // closing: nothing left to do with it
                }
            }
            all.clear();
        }
    }

    private static final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = socket.getOutputStream();
        }

        /** The status line and headers up to the empty line; a {@code HEAD} answer ends there. */
        Answer read() throws IOException {
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("bad status line: " + statusLine, e);
            }
            Map<String, String> headers = new HashMap<>();
            int total = statusLine.length();
            for (String header = line(); !header.isEmpty(); header = line()) {
                total += header.length();
                if (total > MAX_HEADER_BYTES) {
                    throw new IOException("headers longer than " + MAX_HEADER_BYTES + " bytes");
                }
                int colon = header.indexOf(':');
                if (colon > 0) {
                    headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            header.substring(colon + 1).trim());
                }
            }
            return new Answer(status, headers);
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder(64);
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed before the end of the headers");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
                if (line.length() > MAX_HEADER_BYTES) {
                    throw new IOException("header line longer than " + MAX_HEADER_BYTES + " bytes");
                }
            }
            return line.toString();
        }
    }
}
