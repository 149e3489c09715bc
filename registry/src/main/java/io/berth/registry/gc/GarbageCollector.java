package io.berth.registry.gc;

import io.berth.oci.Digest;
import io.berth.registry.Registry;
import io.berth.registry.Uploads;
import io.berth.registry.blob.BlobStore;
import io.berth.registry.gc.GcReport.Item;
import io.berth.registry.gc.GcReport.Kind;
import io.berth.registry.metadata.BlobBytes;
import io.berth.registry.metadata.Collectable;
import io.berth.registry.metadata.CollectorLock;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.Sweep;
import io.berth.registry.metadata.Upload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online garbage collection: runs while the registry serves pushes and pulls, without pausing them. In order, it
 * removes expired upload sessions, untagged manifests where {@link GcRules#untagged} asks for it, referrers whose
 * subject has been gone for the referrers delay (recursively), repository links no manifest of the repository
 * references, and blobs nothing links or references; links and blobs only once older than the grace period.
 *
 * <p>Candidates are read in pages and deleted in small batches, each one short transaction that locks and checks
 * its candidates again (see {@link Sweep}), so a push racing a collection either keeps what it needs or fails
 * cleanly with MANIFEST_BLOB_UNKNOWN. A blob's bytes are hidden in the transaction that deletes its row and purged
 * after the commit; a collection that dies in between leaves hidden bytes that the next one restores or purges.
 * One collection runs at a time per database ({@link MetadataStore#tryLockCollector}); dry runs need no turn.
 */
public final class GarbageCollector {
    /** Items a report lists; counts and bytes always cover everything. */
    public static final int MAX_LISTED = 10_000;
    /** Candidates per deleting transaction: short enough that pushes waiting for SQLite's write lock barely notice. */
    private static final int BATCH = 100;
    private static final int PAGE = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

    private final BlobStore blobs;
    private final MetadataStore metadata;
    private final Uploads uploads;
    private final Registry registry;
    private final GcRules rules;
    private final Clock clock;
    private final BlobBytes bytes;

    public GarbageCollector(BlobStore blobs, MetadataStore metadata, Uploads uploads, Registry registry,
                            GcRules rules, Clock clock) {
        this.blobs = blobs;
        this.metadata = metadata;
        this.uploads = uploads;
        this.registry = registry;
        this.rules = rules;
        this.clock = clock;
        this.bytes = new StoredBytes(blobs);
    }

    /**
     * Collects garbage, or with {@code dryRun} only finds it, telling {@code listener} about each item as it goes.
     *
     * @return empty when another collection is running on this database
     */
    public Optional<GcReport> collect(boolean dryRun, Consumer<Item> listener) {
        if (dryRun) {
            return Optional.of(run(true, listener));
        }
        Optional<CollectorLock> lock = metadata.tryLockCollector();
        if (lock.isEmpty()) {
            return Optional.empty();
        }
        try (CollectorLock held = lock.get()) {
            return Optional.of(run(false, listener));
        }
    }

    private GcReport run(boolean dryRun, Consumer<Item> listener) {
        Instant started = clock.instant();
        long startNanos = System.nanoTime();
        Tallies tallies = new Tallies(listener);
        long now = started.toEpochMilli();
        long graceCutoff = now - rules.grace().toMillis();
        long referrersCutoff = now - rules.referrersDelay().toMillis();
        try (Sweep sweep = metadata.sweep(dryRun)) {
            if (!dryRun) {
                settleHidden(sweep);
            }
            for (Upload upload : uploads.expire(started, dryRun)) {
                tallies.add(new Item(Kind.UPLOAD, upload.repository(), upload.id(), upload.size()));
            }
            collectUntagged(sweep, tallies, now, dryRun);
            collectOrphanReferrers(sweep, tallies, referrersCutoff, dryRun);
            sweep.forgetDeletedManifests(referrersCutoff);
            collectLinks(sweep, tallies, graceCutoff);
            collectBlobs(sweep, tallies, graceCutoff, dryRun);
        }
        return tallies.report(dryRun, started, Duration.ofNanos(System.nanoTime() - startNanos));
    }

    /** Restores or purges the bytes an interrupted collection hid. */
    private void settleHidden(Sweep sweep) {
        try {
            for (Digest digest : blobs.hidden()) {
                if (!sweep.restoreIfStored(digest, bytes)) {
                    blobs.purge(digest);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void collectUntagged(Sweep sweep, Tallies tallies, long now, boolean dryRun) {
        List<String> page;
        String after = null;
        do {
            page = metadata.repositories(after, PAGE);
            for (String repository : page) {
                Optional<Duration> olderThan = rules.untagged().olderThan(repository);
                if (olderThan.isPresent()) {
                    collectUntagged(sweep, tallies, repository, now - olderThan.get().toMillis(), now, dryRun);
                }
            }
            after = page.isEmpty() ? null : page.getLast();
        } while (page.size() == PAGE);
    }

    /** In rounds: the children of an index deleted in one round are untagged in the next. */
    private void collectUntagged(Sweep sweep, Tallies tallies, String repository, long createdBefore, long now,
                                 boolean dryRun) {
        inRounds(tallies, Kind.MANIFEST, dryRun,
                afterId -> sweep.untaggedManifests(repository, createdBefore, afterId, PAGE),
                batch -> sweep.deleteUntaggedManifests(batch, createdBefore, now));
    }

    /** In rounds: a referrer deleted in one round orphans its own referrers for the next. */
    private void collectOrphanReferrers(Sweep sweep, Tallies tallies, long orphanedBefore, boolean dryRun) {
        inRounds(tallies, Kind.REFERRER, dryRun,
                afterId -> sweep.orphanReferrers(orphanedBefore, afterId, PAGE),
                batch -> sweep.deleteOrphanReferrers(batch, orphanedBefore));
    }

    /**
     * Pages through the candidates ({@code page} after a manifest id), deletes them in batches, and starts over
     * while a round deleted anything: deletions can make new candidates.
     */
    private void inRounds(Tallies tallies, Kind kind, boolean dryRun,
                          LongFunction<List<Collectable.Manifest>> page,
                          Function<List<Collectable.Manifest>, List<Collectable.Manifest>> delete) {
        boolean deleted;
        do {
            deleted = false;
            long afterId = 0;
            List<Collectable.Manifest> candidates;
            do {
                candidates = page.apply(afterId);
                for (List<Collectable.Manifest> batch : batches(candidates)) {
                    for (Collectable.Manifest manifest : delete.apply(batch)) {
                        manifestDeleted(tallies, kind, manifest, dryRun);
                        deleted = true;
                    }
                }
                afterId = candidates.isEmpty() ? afterId : candidates.getLast().id();
            } while (candidates.size() == PAGE);
        } while (deleted);
    }

    private void manifestDeleted(Tallies tallies, Kind kind, Collectable.Manifest manifest, boolean dryRun) {
        if (!dryRun) {
            registry.manifestCollected(manifest.repository(), manifest.digest());
        }
        tallies.add(new Item(kind, manifest.repository(), manifest.digest().toString(), manifest.size()));
    }

    private void collectLinks(Sweep sweep, Tallies tallies, long createdBefore) {
        Collectable.Link after = null;
        List<Collectable.Link> page;
        do {
            page = sweep.unreferencedLinks(createdBefore, after, PAGE);
            for (List<Collectable.Link> batch : batches(page)) {
                for (Collectable.Link link : sweep.deleteLinks(batch, createdBefore)) {
                    tallies.add(new Item(Kind.LINK, link.repository(), link.digest().toString(), link.size()));
                }
            }
            after = page.isEmpty() ? after : page.getLast();
        } while (page.size() == PAGE);
    }

    private void collectBlobs(Sweep sweep, Tallies tallies, long createdBefore, boolean dryRun) {
        Digest after = null;
        List<Collectable.Blob> page;
        do {
            page = sweep.unreferencedBlobs(createdBefore, after, PAGE);
            for (List<Collectable.Blob> batch : batches(page)) {
                List<Collectable.Blob> deleted;
                try {
                    deleted = sweep.deleteBlobs(batch, createdBefore, bytes);
                } catch (RuntimeException e) {
                    // The transaction may have failed at its commit, after it hid the bytes.
                    settleBatch(sweep, batch, e);
                    throw e;
                }
                for (Collectable.Blob blob : deleted) {
                    if (!dryRun) {
                        purge(blob.digest());
                    }
                    tallies.add(new Item(Kind.BLOB, null, blob.digest().toString(), blob.size()));
                }
            }
            after = page.isEmpty() ? after : page.getLast().digest();
        } while (page.size() == PAGE);
    }

    private void settleBatch(Sweep sweep, List<Collectable.Blob> batch, RuntimeException failure) {
        try {
            for (Collectable.Blob blob : batch) {
                if (!sweep.restoreIfStored(blob.digest(), bytes)) {
                    blobs.purge(blob.digest());
                }
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e); // the next collection settles them
        }
    }

    private void purge(Digest digest) {
        try {
            blobs.purge(digest);
        } catch (IOException e) {
            LOG.warn("could not remove the bytes of collected blob {}; the next collection does", digest, e);
        }
    }

    private static <T> List<List<T>> batches(List<T> items) {
        List<List<T>> result = new ArrayList<>();
        for (int i = 0; i < items.size(); i += BATCH) {
            result.add(items.subList(i, Math.min(items.size(), i + BATCH)));
        }
        return result;
    }

    /** Counts, bytes and the first items listed, per kind. */
    private static final class Tallies {
        private final Consumer<Item> listener;
        private final Map<Kind, long[]> counts = new EnumMap<>(Kind.class);
        private final List<Item> items = new ArrayList<>();
        private boolean truncated;

        Tallies(Consumer<Item> listener) {
            this.listener = listener;
            for (Kind kind : Kind.values()) {
                counts.put(kind, new long[2]);
            }
        }

        void add(Item item) {
            long[] tally = counts.get(item.kind());
            tally[0]++;
            tally[1] += item.size();
            if (items.size() < MAX_LISTED) {
                items.add(item);
            } else {
                truncated = true;
            }
            listener.accept(item);
        }

        GcReport report(boolean dryRun, Instant started, Duration took) {
            Map<Kind, GcReport.Tally> tallies = new EnumMap<>(Kind.class);
            counts.forEach((kind, tally) -> tallies.put(kind, new GcReport.Tally(tally[0], tally[1])));
            return new GcReport(dryRun, started, took, tallies, items, truncated);
        }
    }

    /** Blob bytes as the sweep hides and restores them, in the blob store. */
    private record StoredBytes(BlobStore blobs) implements BlobBytes {
        @Override
        public void hide(Digest digest) {
            try {
                blobs.hide(digest);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void restore(Digest digest) {
            try {
                blobs.restore(digest);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
