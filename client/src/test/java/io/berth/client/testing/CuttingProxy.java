package io.berth.client.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP relay between a client and the registry that drops one connection partway through one chosen request, the
 * way a flaky network does: the client sees its download end early or its upload fail, and must recover by itself.
 * It records the head (request line and headers) of every request it relays, so a test can see how the client
 * retried. Plain HTTP/1.1 only, which is what engines speak to a registry on 127.0.0.1.
 */
public final class CuttingProxy implements AutoCloseable {
    /** Which request to cut, and after how many bytes of its response (a download) or its body (an upload). */
    public record Cut(String method, String pathContains, boolean inResponse, long afterBytes) {
        /** Cuts the response to {@code GET} of a path containing {@code pathContains}. */
        public static Cut download(String pathContains, long afterBytes) {
            return new Cut("GET", pathContains, true, afterBytes);
        }

        /** Cuts the body of a request with this method to a path containing {@code pathContains}. */
        public static Cut upload(String method, String pathContains, long afterBytes) {
            return new Cut(method, pathContains, false, afterBytes);
        }

        boolean matches(String head) {
            String requestLine = head.substring(0, head.indexOf('\r'));
            return requestLine.startsWith(method + " ") && requestLine.contains(pathContains);
        }
    }

    private static final Pattern RANGE = Pattern.compile("(?im)^Range: bytes=(\\d+)-");
    private static final Pattern REQUEST_LINE =
            Pattern.compile("(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /\\S* HTTP/1\\.[01]\r\n");
    private static final int KEEP_FOR_SPLIT_LINE = 256;

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    /** Set by the one connection that cuts; every connection whose request matches is armed until then. */
    private final AtomicBoolean didCut = new AtomicBoolean();
    private volatile Cut cut;

    private CuttingProxy(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    /** Relays 127.0.0.1:(a free port) to {@code hostPort} ({@code 127.0.0.1:PORT}). */
    public static CuttingProxy to(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try {
            ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            CuttingProxy proxy = new CuttingProxy(listener,
                    new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))));
            Thread.ofVirtual().name("cutting-proxy").start(proxy::accept);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:PORT}, the registry host as a client should name it to go through the relay. */
    public String hostPort() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** Arms the relay to cut the next request that matches, once. */
    public void cutOnce(Cut cut) {
        didCut.set(false);
        this.cut = cut;
    }

    public boolean hasCut() {
        return didCut.get();
    }

    /**
     * The heads (request line and headers) of the requests relayed so far whose request line has {@code method} and
     * contains {@code pathContains}, in order.
     */
    public List<String> requestHeads(String method, String pathContains) {
        return heads.stream().filter(head -> new Cut(method, pathContains, true, 0).matches(head)).toList();
    }

    /** Where the {@code Range} of the last such request starts; empty when it has none. */
    public OptionalLong lastRangeStart(String method, String pathContains) {
        List<String> matching = requestHeads(method, pathContains);
        if (matching.isEmpty()) {
            return OptionalLong.empty();
        }
        Matcher range = RANGE.matcher(matching.getLast());
        return range.find() ? OptionalLong.of(Long.parseLong(range.group(1))) : OptionalLong.empty();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(CuttingProxy::closeQuietly);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(target, 10_000);
                open.add(client);
                open.add(server);
                Connection connection = new Connection(client, server);
                Thread.ofVirtual().name("cutting-proxy-up").start(connection::relayRequests);
                Thread.ofVirtual().name("cutting-proxy-down").start(connection::relayResponses);
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** One client connection and the relay's own connection to the registry. */
    private final class Connection {
        private final Socket client;
        private final Socket server;
        /** Bytes still allowed through in the direction being cut; negative while not armed. */
        private volatile long allowUp = -1;
        private volatile long allowDown = -1;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void relayRequests() {
            StringBuilder pending = new StringBuilder();
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (allowUp >= 0) {
                        if (n >= allowUp && didCut.compareAndSet(false, true)) {
                            out.write(buffer, 0, (int) allowUp);
                            out.flush();
                            drop();
                            return;
                        }
                        allowUp = Math.max(0, allowUp - n);
                    }
                    pending.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                    readHeads(pending);
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // one side went away: the other follows
            } finally {
                drop();
            }
        }

        void relayResponses() {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (allowDown >= 0) {
                        if (n >= allowDown && didCut.compareAndSet(false, true)) {
                            out.write(buffer, 0, (int) allowDown);
                            out.flush();
                            drop();
                            return;
                        }
                        allowDown = Math.max(0, allowDown - n);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // one side went away: the other follows
            } finally {
                drop();
            }
        }

        /**
         * Takes the complete request heads out of what the client sent and arms the cut on the first that matches.
         * Request bodies pass through the same buffer; a request line is only recognised in full, so body bytes are
         * not mistaken for one in practice.
         */
        private void readHeads(StringBuilder pending) {
            while (true) {
                Matcher line = REQUEST_LINE.matcher(pending);
                if (!line.find()) {
                    if (pending.length() > KEEP_FOR_SPLIT_LINE) {
                        pending.delete(0, pending.length() - KEEP_FOR_SPLIT_LINE);
                    }
                    return;
                }
                int end = pending.indexOf("\r\n\r\n", line.start());
                if (end < 0) {
                    pending.delete(0, line.start());
                    return;
                }
                String head = pending.substring(line.start(), end + 4);
                pending.delete(0, end + 4);
                heads.add(head);
                // a new request means the one armed before ended short of the cut: it is let be
                allowUp = -1;
                allowDown = -1;
                Cut armed = cut;
                if (armed != null && !didCut.get() && armed.matches(head)) {
                    if (armed.inResponse()) {
                        allowDown = armed.afterBytes();
                    } else {
                        allowUp = armed.afterBytes();
                    }
                }
            }
        }

        private void drop() {
            closeQuietly(client);
            closeQuietly(server);
            open.remove(client);
            open.remove(server);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** All heads, for a failure message. */
    public String describe() {
        List<String> lines = new ArrayList<>();
        for (String head : heads) {
            lines.add(head.substring(0, head.indexOf('\r')));
        }
        return String.join("\n", lines);
    }
}
