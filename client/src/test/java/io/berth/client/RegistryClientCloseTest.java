package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A closed client has stopped its HTTP client's threads, which would otherwise hold up a short process's exit. */
class RegistryClientCloseTest {
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void closeStopsTheSelectorThreadAndRefusesLaterRequests() throws Exception {
        Set<String> before = selectorThreads();
        RegistryClient client = RegistryClient.builder("127.0.0.1:" + server.getAddress().getPort())
                .plainHttp(true).build();
        client.ping();
        Set<String> started = selectorThreads();
        started.removeAll(before);
        assertThat(started).hasSize(1);

        client.close();

        assertThat(selectorThreads()).doesNotContainAnyElementsOf(started);
        assertThatThrownBy(client::ping).isInstanceOf(IOException.class);
    }

    private static Set<String> selectorThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("HttpClient-") && name.endsWith("-SelectorManager"))
                .collect(Collectors.toSet());
    }
}
