package io.berth.server.http;

import io.berth.registry.inventory.RegistryUsage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The registry's totals as the usage page shows them. Counting them reads every blob and every manifest reference, too
 * slow for a page a person reloads on a large registry, and a page does not need them to the second: it shows a count
 * at most {@link #FRESH} old, counts again in the background when it is older, and waits for a new count only when
 * the one it has is older than {@link #STALE}. The page says when they were counted; the management API's
 * {@code /api/v1/usage} counts every time.
 */
final class RegistryTotals {
    static final Duration FRESH = Duration.ofSeconds(10);
    static final Duration STALE = Duration.ofMinutes(5);

    /** Totals and when they were counted. */
    record Counted(RegistryUsage usage, Instant at) {
    }

    private final Supplier<RegistryUsage> count;
    private final Clock clock;
    private final Executor background;
    private final AtomicBoolean counting = new AtomicBoolean();
    private volatile Counted last;

    RegistryTotals(Supplier<RegistryUsage> count, Clock clock, Executor background) {
        this.count = count;
        this.clock = clock;
        this.background = background;
    }

    Counted get() {
        Counted known = last;
        Instant now = clock.instant();
        if (known == null || known.at().plus(STALE).isBefore(now)) {
            return countNow();
        }
        if (known.at().plus(FRESH).isBefore(now) && counting.compareAndSet(false, true)) {
            background.execute(() -> {
                try {
                    countNow();
                } finally {
                    counting.set(false);
                }
            });
        }
        return known;
    }

    private Counted countNow() {
        Instant at = clock.instant();
        Counted counted = new Counted(count.get(), at);
        last = counted;
        return counted;
    }
}
