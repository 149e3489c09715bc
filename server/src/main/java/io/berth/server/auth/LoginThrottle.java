package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slows down password guessing per source address: each failed login in the window makes the answer to the next
 * failure wait longer (up to two seconds), and past {@link #LIMIT} failures the address's logins are
 * refused outright until the window has passed since its last failure.
 */
public final class LoginThrottle {
    public static final int LIMIT = 10;
    public static final Duration WINDOW = Duration.ofMinutes(5);
    private static final Duration STEP = Duration.ofMillis(200);
    private static final int MAX_STEPS = 10;

    private final Cache<String, AtomicInteger> failures;
    private final Duration step;

    public LoginThrottle() {
        this(WINDOW, STEP);
    }

    LoginThrottle(Duration window, Duration step) {
        this.failures = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(100_000).build();
        this.step = step;
    }

    /** Whether logins from this address are refused for now. */
    public boolean blocked(String address) {
        AtomicInteger count = failures.getIfPresent(address);
        return count != null && count.get() >= LIMIT;
    }

    /** Records a failure and returns how long to hold the answer back. */
    public Duration failed(String address) {
        AtomicInteger count = failures.asMap().computeIfAbsent(address, key -> new AtomicInteger());
        int n = count.incrementAndGet();
        failures.put(address, count); // restarts the window
        return step.multipliedBy(Math.min(n, MAX_STEPS));
    }
}
