package io.berth.registry.inventory;

/**
 * Which manifests of a repository to list: newest first (or oldest first).
 *
 * @param artifactType null for any
 * @param cursor       the {@code last} of the page before, null for the first page
 */
public record ImageQuery(Kind kind, Tagged tagged, String artifactType, boolean oldestFirst, String cursor,
                         int limit) {

    /** Images (and indexes) only, referrers only, or both. */
    public enum Kind { IMAGES, REFERRERS, ALL }

    public enum Tagged { TAGGED, UNTAGGED, ANY }

    public static final ImageQuery ALL_NEWEST_FIRST = new ImageQuery(Kind.ALL, Tagged.ANY, null, false, null, 100);

    public ImageQuery {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
    }
}
