package io.berth.bench.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bench's webhook receiver, fed CloudEvents as Berth's notifier posts them. */
class EventReceiverTest {
    private static final Instant T0 = Instant.parse("2026-12-08T10:00:00Z");
    private static final Predicate<EventReceiver.Received> APP_PUSHES =
            event -> EventReceiver.IMAGE_PUSHED.equals(event.type()) && "bench/app-0".equals(event.repository());

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private MovableClock clock;
    private EventReceiver receiver;

    /** A clock the test sets: the arrival time of the next event. */
    private static final class MovableClock extends Clock {
        private volatile Instant now = T0;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeEach
    void start() throws Exception {
        clock = new MovableClock();
        receiver = EventReceiver.start(clock);
    }

    @AfterEach
    void stop() {
        receiver.close();
        http.close();
    }

    /** Posts the CloudEvent Berth would send for event {@code id}, recorded at {@code time}, arriving at {@code arrival}. */
    private int post(long id, String type, String repository, Instant time, Instant arrival) throws Exception {
        clock.now = arrival;
        return send(cloudEvent(id, type, repository, time));
    }

    private static String cloudEvent(long id, String type, String repository, Instant time) {
        return """
                {"specversion":"1.0","id":"%d","source":"/berth","type":"%s","subject":"%s@sha256:00",\
                "time":"%s","datacontenttype":"application/json","data":{"repository":"%s","actor":{}}}"""
                .formatted(id, type, repository, time, repository);
    }

    @Test
    void aBatchCountsEachOfItsEventsWithTheLagOfItsArrival() throws Exception {
        clock.now = T0.plusMillis(40);
        assertThat(send("[" + cloudEvent(1, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0) + ","
                + cloudEvent(2, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0.plusMillis(30)) + "]")).isEqualTo(200);

        EventReceiver.Summary summary = receiver.summary(APP_PUSHES);

        assertThat(summary.events()).isEqualTo(2);
        assertThat(summary.selected()).isEqualTo(2);
        assertThat(summary.lagMillis(50)).isEqualTo(10.0);
        assertThat(summary.lagMillis(100)).isEqualTo(40.0);
    }

    private int send(String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(receiver.url())
                .header("Content-Type", "application/cloudevents+json; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void lagIsArrivalMinusTheEventsTimeWithNearestRankPercentiles() throws Exception {
        // lags of 10, 20, ..., 100 ms, sent out of lag order
        long[] lagMillis = {50, 10, 30, 90, 70, 20, 100, 40, 60, 80};
        for (int i = 0; i < lagMillis.length; i++) {
            Instant time = T0.plusSeconds(i);
            assertThat(post(i + 1, EventReceiver.IMAGE_PUSHED, "bench/app-0", time, time.plusMillis(lagMillis[i])))
                    .isEqualTo(200);
        }

        EventReceiver.Summary summary = receiver.summary(APP_PUSHES);

        assertThat(summary.events()).isEqualTo(10);
        assertThat(summary.lagMillis(50)).isEqualTo(50.0);
        assertThat(summary.lagMillis(99)).isEqualTo(100.0);
        assertThat(summary.lagMillis(100)).isEqualTo(100.0);
    }

    @Test
    void countsOnlyTheSelectedEventsAndARedeliveryOnceWithItsFirstLag() throws Exception {
        post(1, "io.berth.repository.created", "bench/app-0", T0, T0.plusMillis(5));
        post(2, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0.plusMillis(5));
        post(3, "io.berth.tag.updated", "bench/app-0", T0, T0.plusMillis(5));
        post(4, EventReceiver.IMAGE_PUSHED, "bench/warmup-0", T0, T0.plusMillis(5));
        post(2, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0.plusSeconds(30)); // redelivered much later

        EventReceiver.Summary summary = receiver.summary(APP_PUSHES);

        assertThat(summary.events()).isEqualTo(4);
        assertThat(summary.selected()).isEqualTo(1);
        assertThat(summary.duplicates()).isEqualTo(1);
        assertThat(summary.lagMillis(100)).isEqualTo(5.0);
        assertThat(receiver.count(APP_PUSHES)).isEqualTo(1);
    }

    @Test
    void reportsIdsThatNeverArrivedAndArrivalsOutOfOrder() throws Exception {
        for (long id : new long[] {10, 11, 13, 12, 16}) {
            post(id, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0.plusMillis(1));
        }

        EventReceiver.Summary summary = receiver.summary(APP_PUSHES);

        assertThat(summary.missing()).as("14 and 15").isEqualTo(2);
        assertThat(summary.outOfOrder()).as("12 after 13").isEqualTo(1);
    }

    @Test
    void anUnreadableBodyIsTakenButCountedApart() throws Exception {
        assertThat(send("{\"id\":\"x\"}")).isEqualTo(200);
        assertThat(send("not json")).isEqualTo(200);

        EventReceiver.Summary summary = receiver.summary(APP_PUSHES);

        assertThat(summary.unreadable()).isEqualTo(2);
        assertThat(summary.events()).isZero();
        assertThat(summary.lagMillis(50)).isNaN();
    }

    @Test
    void resetForgetsWhatArrivedBefore() throws Exception {
        post(1, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0.plusSeconds(9)); // the warm-up's backlog
        receiver.reset();
        post(1, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0.plusMillis(3)); // counted again, not a duplicate
        post(2, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0.plusMillis(3));

        EventReceiver.Summary summary = receiver.summary(APP_PUSHES);

        assertThat(summary.selected()).isEqualTo(2);
        assertThat(summary.duplicates()).isZero();
        assertThat(summary.lagMillis(100)).isEqualTo(3.0);
    }

    @Test
    void awaitCountReturnsOnceTheEventsArriveAndGivesUpAtItsLimit() throws Exception {
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(100);
                post(1, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0);
                post(2, EventReceiver.IMAGE_PUSHED, "bench/app-0", T0, T0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        assertThat(receiver.awaitCount(APP_PUSHES, 2, Duration.ofSeconds(10))).isTrue();
        sender.join();
        long began = System.nanoTime();
        assertThat(receiver.awaitCount(APP_PUSHES, 3, Duration.ofMillis(200))).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(receiver.awaitQuiet(Duration.ofMillis(50), Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void listensOnLoopbackAtTheEventsPath() {
        URI url = receiver.url();
        assertThat(url.getHost()).isEqualTo("127.0.0.1");
        assertThat(url.getPath()).isEqualTo(EventReceiver.PATH);
    }
}
