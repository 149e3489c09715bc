package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.inventory.RegistryUsage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The usage page's totals: a recent count is shown as it is, an older one is counted again, an old one waited for. */
class RegistryTotalsTest {
    private final SteppedClock clock = new SteppedClock();
    private final AtomicLong repositories = new AtomicLong(1);
    private final AtomicLong counts = new AtomicLong();
    private final List<Runnable> background = new ArrayList<>();
    private final RegistryTotals totals = new RegistryTotals(() -> {
        counts.incrementAndGet();
        return new RegistryUsage(repositories.get(), 0, 0, 0, 0, 0, 0);
    }, clock, background::add);

    /** A clock that stands still until a test moves it. */
    private static final class SteppedClock extends Clock {
        private Instant now = Instant.parse("2026-12-08T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    @Test
    void theFirstPageCountsAndPagesWithinTheFreshTimeReuseThatCount() {
        assertThat(totals.get().usage().repositories()).isEqualTo(1);
        repositories.set(2);
        clock.advance(RegistryTotals.FRESH);

        assertThat(totals.get().usage().repositories()).isEqualTo(1);
        assertThat(counts).hasValue(1);
        assertThat(background).isEmpty();
    }

    @Test
    void anOlderCountIsShownOnceWhileOneCountInTheBackgroundReplacesIt() {
        RegistryTotals.Counted first = totals.get();
        repositories.set(2);
        clock.advance(RegistryTotals.FRESH.plusSeconds(1));

        assertThat(totals.get()).isEqualTo(first);
        assertThat(totals.get()).isEqualTo(first);
        assertThat(background).as("one count at a time").hasSize(1);
        background.getFirst().run();

        RegistryTotals.Counted second = totals.get();
        assertThat(second.usage().repositories()).isEqualTo(2);
        assertThat(second.at()).isEqualTo(clock.instant());
    }

    @Test
    void aCountOlderThanTheStaleTimeIsWaitedFor() {
        totals.get();
        repositories.set(3);
        clock.advance(RegistryTotals.STALE.plus(Duration.ofSeconds(1)));

        assertThat(totals.get().usage().repositories()).isEqualTo(3);
        assertThat(background).isEmpty();
    }
}
