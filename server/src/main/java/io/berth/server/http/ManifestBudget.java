package io.berth.server.http;

import io.berth.registry.ErrorCode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The heap that pushed manifests may take at once. A manifest is read whole into memory and parsed there (its parsed
 * form is several times its size), so without a bound a few dozen concurrent pushes of the largest manifest allowed
 * fill the heap. Each push reserves its declared length (the largest allowed when it declares none) before reading,
 * and waits while others hold the budget; one that waits too long is told to come back.
 */
final class ManifestBudget {
    /** How many of the largest manifests may be in memory at once. */
    static final int LARGEST_AT_ONCE = 2;
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int RETRY_AFTER_SECONDS = 5;

    private final Semaphore kibibytes;
    private final int maxManifestBytes;
    private final Duration patience;

    ManifestBudget(int maxManifestBytes) {
        this(maxManifestBytes, PATIENCE);
    }

    ManifestBudget(int maxManifestBytes, Duration patience) {
        this.maxManifestBytes = maxManifestBytes;
        this.patience = patience;
        this.kibibytes = new Semaphore(LARGEST_AT_ONCE * kibibytes(maxManifestBytes));
    }

    /** A reservation, given back by {@link #close}. */
    interface Reservation extends AutoCloseable {
        @Override
        void close();
    }

    /** Reserves room for a manifest of {@code declaredLength} bytes (negative: not declared); 429 when none comes. */
    Reservation reserve(long declaredLength) throws InterruptedException {
        int wanted = kibibytes(declaredLength < 0 ? maxManifestBytes : Math.min(declaredLength, maxManifestBytes));
        if (!kibibytes.tryAcquire(wanted, patience.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new HttpError(429, ErrorCode.TOOMANYREQUESTS,
                    "too many large manifests are being pushed at once; retry in a few seconds",
                    "no room for a manifest of " + declaredLength + " bytes within " + patience.toSeconds() + " s",
                    Map.of(HttpHeader.RETRY_AFTER.asString(), Integer.toString(RETRY_AFTER_SECONDS)));
        }
        return () -> kibibytes.release(wanted);
    }

    private static int kibibytes(long bytes) {
        return (int) Math.max(1, (bytes + 1023) / 1024);
    }
}
