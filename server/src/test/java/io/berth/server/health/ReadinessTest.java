package io.berth.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Probes come in storms and dependencies hang: readiness asks each at most once a second, and never waits long. */
class ReadinessTest {

    @Test
    void aStormOfProbesRunsEachCheckOnceAndSharesItsResult() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Readiness readiness = new Readiness(List.of(new Readiness.Check("database", () -> {
            runs.incrementAndGet();
            Thread.sleep(100);
        })));

        List<Future<Readiness.Report>> reports = new ArrayList<>();
        try (ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 50; i++) {
                reports.add(probes.submit(readiness::report));
            }
        }

        for (Future<Readiness.Report> report : reports) {
            assertThat(report.get().ready()).isTrue();
        }
        assertThat(runs).hasValue(1);
        Thread.sleep(Readiness.REUSE.toMillis() + 100);
        assertThat(readiness.report().ready()).isTrue();
        assertThat(runs).as("asked again once the result is a second old").hasValue(2);
    }

    @Test
    void aHungCheckFailsAfterTheTimeoutAndLaterProbesFailAtOnceWhileItHangs() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        Readiness readiness = new Readiness(List.of(new Readiness.Check("database", never::await),
                new Readiness.Check("storage", () -> { })));

        long started = System.nanoTime();
        Readiness.Report first = readiness.report();
        Duration firstTook = Duration.ofNanos(System.nanoTime() - started);
        started = System.nanoTime();
        Readiness.Report second = readiness.report();
        Duration secondTook = Duration.ofNanos(System.nanoTime() - started);

        assertThat(first.ready()).isFalse();
        assertThat(first.results()).containsExactly(new Readiness.Result("database", "no answer within 2 s"),
                new Readiness.Result("storage", null));
        assertThat(firstTook).isBetween(Readiness.TIMEOUT.minusMillis(50), Readiness.TIMEOUT.plusMillis(700));
        assertThat(second.ready()).isFalse();
        assertThat(secondTook).isLessThan(Duration.ofMillis(300));
        never.countDown();
    }

    @Test
    void aFailingCheckSaysOnlyThatItFailedAndDrainingNeedsNoCheck() {
        Readiness readiness = new Readiness(List.of(new Readiness.Check("storage", () -> {
            throw new IOException("/srv/berth/blobs is missing");
        })));

        assertThat(readiness.report().results()).containsExactly(new Readiness.Result("storage", "failed"));
        readiness.markDraining();
        assertThat(readiness.report()).isEqualTo(new Readiness.Report(true, List.of()));
    }
}
