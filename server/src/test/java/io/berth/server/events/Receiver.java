package io.berth.server.events;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * A webhook receiver on a loopback port: records every request it is sent and answers with the status its policy
 * gives. It can be stopped (the port refuses connections) and started again on the same port.
 */
final class Receiver implements AutoCloseable {
    /** One request as received. */
    record Delivery(byte[] body, Map<String, List<String>> headers, int answered, Instant at) {
        String header(String name) {
            return headers.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().getFirst()).findFirst().orElse(null);
        }
    }

    private final List<Delivery> deliveries = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile IntSupplier status = () -> 200;
    private volatile long delayMillis;
    private int port;
    private HttpServer server;

    Receiver() {
        start();
    }

    /** Answers every request with 500 and 200 in turn. */
    void failEveryOther() {
        status = () -> requests.incrementAndGet() % 2 == 0 ? 500 : 200;
    }

    void succeed() {
        status = () -> 200;
    }

    /** Takes this long over each request before answering, like a receiver with work to do. */
    void slowDown(long millis) {
        delayMillis = millis;
    }

    String url() {
        return "http://127.0.0.1:" + port + "/events";
    }

    synchronized void start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        port = server.getAddress().getPort();
        server.createContext("/events", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int answer = status.getAsInt();
            synchronized (deliveries) {
                deliveries.add(new Delivery(body, Map.copyOf(exchange.getRequestHeaders()), answer, Instant.now()));
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Stops listening: connections to the port are refused until {@link #start}. */
    synchronized void stop() {
        server.stop(0);
    }

    /** Every request so far, in the order received. */
    List<Delivery> deliveries() {
        synchronized (deliveries) {
            return List.copyOf(deliveries);
        }
    }

    /** The requests answered with 2xx. */
    List<Delivery> accepted() {
        return deliveries().stream().filter(delivery -> delivery.answered() / 100 == 2).toList();
    }

    @Override
    public synchronized void close() {
        server.stop(0);
    }
}
