package io.berth.client;

import java.time.Duration;

/**
 * How often and how patiently to retry a request that failed on the way (connection errors) or that the registry
 * asked to be retried (429, 5xx): exponential backoff from {@code initialBackoff} up to {@code maxBackoff}, or what
 * the registry's {@code Retry-After} says if that is longer (capped at {@code maxBackoff}).
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(10));
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** The pause before attempt {@code attempt + 1}, after {@code attempt} failed attempts (1-based). */
    Duration backoff(int attempt, Duration retryAfter) {
        long base = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
        long wanted = Math.max(base, retryAfter == null ? 0 : retryAfter.toMillis());
        return Duration.ofMillis(Math.min(wanted, maxBackoff.toMillis()));
    }
}
