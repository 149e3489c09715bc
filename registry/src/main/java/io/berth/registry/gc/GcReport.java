package io.berth.registry.gc;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one garbage collection deleted, or would have deleted in a dry run.
 *
 * @param tallies        per kind, how many and how many bytes; every kind is present
 * @param items          what was deleted, in order, at most {@link GarbageCollector#MAX_LISTED} of them
 * @param itemsTruncated whether more were deleted than listed
 */
public record GcReport(boolean dryRun, Instant startedAt, Duration took, Map<Kind, Tally> tallies, List<Item> items,
                       boolean itemsTruncated) {

    public GcReport {
        tallies = Map.copyOf(tallies);
        items = List.copyOf(items);
    }

    /** What is collected, in the order a collection goes. */
    public enum Kind {
        /** An upload session idle for longer than the upload expiry, with its bytes. */
        UPLOAD("uploads"),
        /** An untagged manifest, in a repository whose policy says so. */
        MANIFEST("untaggedManifests"),
        /** A referrer whose subject was deleted, after the referrers delay. */
        REFERRER("referrers"),
        /** A repository's link to a blob that none of its manifests references any more. */
        LINK("links"),
        /** A blob, row and bytes, that no repository links and no manifest references. */
        BLOB("blobs");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The name in reports: {@code uploads}, {@code untaggedManifests}, {@code referrers}, {@code links}, {@code blobs}. */
        public String label() {
            return label;
        }
    }

    /** How many of a kind, and their bytes: blob and upload bytes on storage, manifest sizes, linked blob sizes. */
    public record Tally(long count, long bytes) {
    }

    /**
     * One deleted thing.
     *
     * @param repository null for blobs and for upload data without a session
     * @param reference  a digest, or an upload's id
     */
    public record Item(Kind kind, String repository, String reference, long size) {
    }

    public Tally tally(Kind kind) {
        return tallies.get(kind);
    }

    /** Bytes of storage freed: blobs and upload data (manifests and links live in the database). */
    public long bytesFreed() {
        return tally(Kind.BLOB).bytes() + tally(Kind.UPLOAD).bytes();
    }
}
