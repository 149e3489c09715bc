package io.berth.registry;

import io.berth.oci.Digest;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.Pull;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each manifest was last pulled, gathered in memory and written in batches: a pull must not cost a database
 * write (pulls are most of a registry's traffic, and some are answered on an I/O thread from the cache), so a pull
 * is one map update and {@link #flush} writes what gathered in one transaction.
 */
final class PullTimes {
    private record Key(String repository, Digest digest) {
    }

    /** The latest pull of a manifest, and the number of pulls, since its pulls were last written. */
    private record Tally(long latest, long count) {
        Tally add(Tally other) {
            return new Tally(Math.max(latest, other.latest), count + other.count);
        }
    }

    private final Map<Key, Tally> gathered = new ConcurrentHashMap<>();
    private final MetadataStore metadata;
    private final Clock clock;
    private final boolean announce;

    /** @param announce whether each flush records an event of the pulls it writes */
    PullTimes(MetadataStore metadata, Clock clock, boolean announce) {
        this.metadata = metadata;
        this.clock = clock;
        this.announce = announce;
    }

    /** Cheap and non-blocking. */
    void record(String repository, Digest digest) {
        gathered.merge(new Key(repository, digest), new Tally(clock.millis(), 1), Tally::add);
    }

    /**
     * Writes the gathered pull times. An entry leaves memory only once written, and only if no newer pull replaced
     * it meanwhile; when the write fails everything stays for the next flush.
     *
     * @return how many manifests' times were written
     */
    int flush() {
        List<Pull> batch = new ArrayList<>();
        Map<Key, Tally> written = Map.copyOf(gathered);
        written.forEach((key, tally) -> batch.add(new Pull(key.repository(), key.digest(),
                Instant.ofEpochMilli(tally.latest()), tally.count())));
        if (batch.isEmpty()) {
            return 0;
        }
        metadata.recordPulls(batch, announce);
        // What was written leaves memory; pulls counted meanwhile stay for the next flush.
        written.forEach((key, tally) -> gathered.computeIfPresent(key, (k, now) -> now.equals(tally) ? null
                : new Tally(now.latest(), now.count() - tally.count())));
        return batch.size();
    }
}
