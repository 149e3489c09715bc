package io.berth.server.events;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Posts one endpoint's events over one kept-alive HTTP/1.1 connection, TLS for {@code https} (certificates checked
 * against the JVM's trust store, the host name against the certificate). Each request leaves in one write: a header
 * block built once for the endpoint, the event's own headers and the body. Redirects are not followed; proxies are
 * not used.
 *
 * <p>Written for the CPU it saves: a delivery runs next to the pushes it reports, and the JDK's clients spend several
 * times more per small request (docs/benchmarks.md). What it reads of an answer is the status; the rest is read to
 * its end (by {@code Content-Length}, in chunks, or to the connection's close) so that the connection can be kept.
 * A kept connection the endpoint closed in the meantime is replaced once, without a pause: at least once allows it.
 */
final class WebhookClient implements AutoCloseable {
    private static final int MAX_LINE = 8 * 1024;
    private static final int MAX_HEADERS = 200;

    private final String host;
    private final int port;
    private final boolean tls;
    private final SSLSocketFactory tlsSockets;
    private final int connectTimeout;
    private final int readTimeout;
    private final byte[] head;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    /** @param contentType the body's media type; {@code headers} are sent with every request */
    WebhookClient(URI url, String contentType, Map<String, String> headers, Duration connectTimeout,
                  Duration readTimeout, SSLSocketFactory tlsSockets) {
        this.tls = url.getScheme().equalsIgnoreCase("https");
        String hostText = url.getHost();
        this.host = hostText.startsWith("[") ? hostText.substring(1, hostText.length() - 1) : hostText;
        this.port = url.getPort() >= 0 ? url.getPort() : tls ? 443 : 80;
        this.tlsSockets = tlsSockets;
        this.connectTimeout = Math.toIntExact(connectTimeout.toMillis());
        this.readTimeout = Math.toIntExact(readTimeout.toMillis());
        String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        StringBuilder text = new StringBuilder("POST ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostText).append(url.getPort() >= 0 ? ":" + url.getPort() : "").append("\r\n")
                .append("User-Agent: Berth\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n");
        headers.forEach((name, value) -> text.append(name).append(": ").append(value).append("\r\n"));
        this.head = text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Posts {@code body} with {@code extra} headers (name, value, name, value, ...) and answers the response's
     * status; the answer's body is read and dropped.
     */
    int post(byte[] body, String... extra) throws IOException {
        boolean kept = socket != null;
        try {
            return exchange(body, extra);
        } catch (StaleConnection e) {
            close();
            if (!kept) {
                throw e.failure();
            }
            return exchange(body, extra);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private int exchange(byte[] body, String[] extra) throws IOException {
        if (socket == null) {
            connect();
        }
        StringBuilder own = new StringBuilder(96);
        for (int i = 0; i < extra.length; i += 2) {
            own.append(extra[i]).append(": ").append(extra[i + 1]).append("\r\n");
        }
        own.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        byte[] ownBytes = own.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream request = new ByteArrayOutputStream(head.length + ownBytes.length + body.length);
        request.write(head, 0, head.length);
        request.write(ownBytes, 0, ownBytes.length);
        request.write(body, 0, body.length);
        try {
            request.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new StaleConnection(e);
        }
        int first;
        try {
            first = in.read();
        } catch (SocketTimeoutException e) {
            throw e; // the endpoint is slow, not gone
        } catch (IOException e) {
            throw new StaleConnection(e);
        }
        if (first < 0) {
            throw new StaleConnection(new EOFException("the endpoint closed the connection without an answer"));
        }
        return readResponse(first);
    }

    /** Reads the answer whose first byte was {@code first}, skipping interim (1xx) ones; its status. */
    private int readResponse(int first) throws IOException {
        String statusLine = ((char) first) + line();
        while (true) {
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
                throw new IOException("not an HTTP/1.1 answer: " + printable(statusLine));
            }
            int status;
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status: " + printable(statusLine));
            }
            long length = -1;
            boolean chunked = false;
            boolean closes = statusLine.startsWith("HTTP/1.0");
            for (int count = 0; ; count++) {
                String header = line();
                if (header.isEmpty()) {
                    break;
                }
                if (count == MAX_HEADERS) {
                    throw new IOException("more than " + MAX_HEADERS + " headers in the answer");
                }
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = parseLength(value);
                    case "transfer-encoding" -> chunked = value.endsWith("chunked");
                    case "connection" -> closes = value.contains("close") || (closes && !value.contains("keep-alive"));
                    default -> { }
                }
            }
            if (status >= 100 && status < 200) {
                statusLine = line(); // 100 Continue and the like: the answer follows
                continue;
            }
            if (status == 204 || status == 304) {
                length = 0;
                chunked = false;
            }
            if (chunked) {
                skipChunks();
            } else if (length >= 0) {
                skip(length);
            } else {
                in.transferTo(OutputStream.nullOutputStream()); // the body ends with the connection
                closes = true;
            }
            if (closes) {
                close();
            }
            return status;
        }
    }

    private void skipChunks() throws IOException {
        while (true) {
            String sizeLine = line();
            int extension = sizeLine.indexOf(';');
            String size = (extension < 0 ? sizeLine : sizeLine.substring(0, extension)).trim();
            long chunk;
            try {
                chunk = Long.parseLong(size, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size in the answer: " + printable(sizeLine));
            }
            if (chunk < 0) {
                throw new IOException("bad chunk size in the answer: " + printable(sizeLine));
            }
            if (chunk == 0) {
                while (!line().isEmpty()) {
                    // trailer fields, dropped
                }
                return;
            }
            skip(chunk);
            if (!line().isEmpty()) {
                throw new IOException("a chunk of the answer is longer than its size");
            }
        }
    }

    private void skip(long bytes) throws IOException {
        long left = bytes;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("the answer ended " + left + " bytes early");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private static long parseLength(String value) throws IOException {
        try {
            long length = Long.parseLong(value);
            if (length < 0) {
                throw new NumberFormatException();
            }
            return length;
        } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length in the answer: " + printable(value));
        }
    }

    /** One line of the answer's head, without its CRLF (or bare LF). */
    private String line() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the answer ended in its head");
            }
            if (c == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() == MAX_LINE) {
                throw new IOException("a line of the answer's head is longer than " + MAX_LINE + " bytes");
            }
            line.append((char) c);
        }
    }

    private static String printable(String text) {
        String shown = text.length() > 100 ? text.substring(0, 100) + "..." : text;
        return shown.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private void connect() throws IOException {
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), connectTimeout);
            plain.setTcpNoDelay(true);
            plain.setSoTimeout(readTimeout);
            Socket connected = plain;
            if (tls) {
                SSLSocket secure = (SSLSocket) tlsSockets.createSocket(plain, host, port, true);
                SSLParameters parameters = secure.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(parameters);
                secure.startHandshake();
                connected = secure;
            }
            socket = connected;
            in = new BufferedInputStream(connected.getInputStream(), 8 * 1024);
            out = connected.getOutputStream();
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** Closes the connection; the next post opens a new one. */
    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
            in = null;
            out = null;
        }
    }

    /** A kept connection failed before any byte of an answer: the endpoint had closed it. */
    private static final class StaleConnection extends IOException {
        StaleConnection(IOException failure) {
            super(failure.getMessage(), failure);
        }

        IOException failure() {
            return (IOException) getCause();
        }
    }
}
