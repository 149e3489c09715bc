package io.berth.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.berth.registry.metadata.LoginFailures;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Slows down password guessing per source address: each failed login in the window makes the answer to the next
 * failure wait longer (up to two seconds), and past {@link #LIMIT} failures the address's logins are
 * refused outright until the window has passed since its last failure.
 *
 * <p>A failure counts once per credential: the same user name and password failing again within the window is
 * the same mistake, not another guess. containerd sends one login as {@code POST /token} and then
 * {@code GET /token}, and clients retry; counting each of those would lock an address out after a few typos.
 *
 * <p>The failures are kept in this process's memory ({@link #LoginThrottle()}), or in the database that several nodes
 * share ({@link #shared}): then a guess sent to any node counts on all of them, and N nodes behind a load balancer do
 * not allow N times the guesses.
 */
public final class LoginThrottle {
    public static final int LIMIT = 10;
    public static final Duration WINDOW = Duration.ofMinutes(5);
    private static final Duration STEP = Duration.ofMillis(200);
    private static final int MAX_STEPS = 10;

    /** An address's failures in its window: how many distinct credentials, and how long the window still runs. */
    private record Window(int count, Duration remaining) {
    }

    /** Where the failures are counted. */
    private interface Failures {
        /** The address's failures, or null when it has none in the window. */
        Window current(String address);

        /** Counts a failure of the credential unless it is known or the address is locked out; the count after. */
        int add(String address, long credential);
    }

    private final Failures failures;
    private final Duration step;

    private LoginThrottle(Failures failures, Duration step) {
        this.failures = failures;
        this.step = step;
    }

    /** A throttle that keeps the failures in this process's memory: for a single node. */
    public LoginThrottle() {
        this(WINDOW, STEP, Ticker.systemTicker());
    }

    LoginThrottle(Duration window, Duration step, Ticker ticker) {
        this(new InMemory(window, ticker), step);
    }

    /** A throttle that keeps the failures in the database the nodes share, judging times by {@code clock}. */
    public static LoginThrottle shared(LoginFailures store, Clock clock) {
        return shared(store, WINDOW, STEP, clock);
    }

    static LoginThrottle shared(LoginFailures store, Duration window, Duration step, Clock clock) {
        return new LoginThrottle(new Shared(store, window, clock), step);
    }

    /** How long logins from this address stay refused, rounded up to whole seconds; empty when they are not. */
    public Optional<Duration> blockedFor(String address) {
        Window window = failures.current(address);
        if (window == null || window.count() < LIMIT || window.remaining().isNegative()
                || window.remaining().isZero()) {
            return Optional.empty();
        }
        long nanos = window.remaining().toNanos();
        return Optional.of(Duration.ofSeconds((nanos + 999_999_999L) / 1_000_000_000L));
    }

    /**
     * Records a failure of {@code credential} (a hash identifying user name and password, never the password) and
     * returns how long to hold the answer back. A credential that already failed in the window is not counted
     * again, and does not restart the window.
     */
    public Duration failed(String address, String credential) {
        int count = failures.add(address, hash(credential));
        return step.multipliedBy(Math.min(count, MAX_STEPS));
    }

    private static long hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Failures in a bounded in-memory cache, timed by a monotonic ticker. */
    private static final class InMemory implements Failures {
        /**
         * One address's failures in the window: 64 bits of a hash of each distinct credential that failed (at most
         * {@link #LIMIT}, so an entry stays small however many addresses send guesses), and when the last one did.
         */
        private static final class Entry {
            final long[] credentials = new long[LIMIT];
            int count;
            long lastCountedNanos;

            /** Adds the credential unless it is known or the address is already locked out; whether it was added. */
            boolean add(long credential) {
                for (int i = 0; i < count; i++) {
                    if (credentials[i] == credential) {
                        return false;
                    }
                }
                if (count == LIMIT) {
                    return false;
                }
                credentials[count++] = credential;
                return true;
            }
        }

        private final Cache<String, Entry> entries;
        private final Duration window;
        private final Ticker ticker;

        InMemory(Duration window, Ticker ticker) {
            this.entries = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(100_000).ticker(ticker).build();
            this.window = window;
            this.ticker = ticker;
        }

        @Override
        public Window current(String address) {
            Entry entry = entries.getIfPresent(address);
            if (entry == null) {
                return null;
            }
            synchronized (entry) {
                return new Window(entry.count, Duration.ofNanos(entry.lastCountedNanos + window.toNanos()
                        - ticker.read()));
            }
        }

        @Override
        public int add(String address, long credential) {
            Entry entry = entries.asMap().computeIfAbsent(address, key -> new Entry());
            synchronized (entry) {
                if (entry.add(credential)) {
                    entry.lastCountedNanos = ticker.read();
                    entries.put(address, entry); // restarts the window
                }
                return entry.count;
            }
        }
    }

    /**
     * Failures in the shared database, timed by the wall clock the nodes agree on. Addresses are stored as hashes.
     * Sources whose window has passed are deleted by the failure that comes at least a window after the last such
     * clean-up, so the table holds about one window's worth of failures.
     */
    private static final class Shared implements Failures {
        private final LoginFailures store;
        private final Duration window;
        private final Clock clock;
        private final AtomicLong nextCleanUp = new AtomicLong(Long.MIN_VALUE);

        Shared(LoginFailures store, Duration window, Clock clock) {
            this.store = store;
            this.window = window;
            this.clock = clock;
        }

        @Override
        public Window current(String address) {
            long now = clock.millis();
            return store.tally(hash(address), now - window.toMillis())
                    .map(tally -> new Window(tally.count(), Duration.ofMillis(tally.lastCountedAt()
                            + window.toMillis() - now)))
                    .orElse(null);
        }

        @Override
        public int add(String address, long credential) {
            long now = clock.millis();
            long since = now - window.toMillis();
            long due = nextCleanUp.get();
            if (now >= due && nextCleanUp.compareAndSet(due, now + window.toMillis())) {
                store.forget(since);
            }
            return store.add(hash(address), credential, now, since, LIMIT).count();
        }
    }
}
