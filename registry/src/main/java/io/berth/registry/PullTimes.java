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

    private final Map<Key, Long> latest = new ConcurrentHashMap<>();
    private final MetadataStore metadata;
    private final Clock clock;

    PullTimes(MetadataStore metadata, Clock clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    /** Cheap and non-blocking. */
    void record(String repository, Digest digest) {
        latest.merge(new Key(repository, digest), clock.millis(), Math::max);
    }

    /**
     * Writes the gathered pull times. An entry leaves memory only once written, and only if no newer pull replaced
     * it meanwhile; when the write fails everything stays for the next flush.
     *
     * @return how many manifests' times were written
     */
    int flush() {
        List<Pull> batch = new ArrayList<>();
        Map<Key, Long> written = Map.copyOf(latest);
        written.forEach((key, at) -> batch.add(new Pull(key.repository(), key.digest(), Instant.ofEpochMilli(at))));
        if (batch.isEmpty()) {
            return 0;
        }
        metadata.recordPulls(batch);
        written.forEach(latest::remove);
        return batch.size();
    }
}
