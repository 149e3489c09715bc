package io.berth.registry.inventory;

/**
 * Which repositories to list, and how.
 *
 * @param nameContains null for all
 * @param cursor       the {@code last} of the page before, null for the first page
 */
public record RepositoryQuery(Sort sort, String nameContains, String cursor, int limit) {

    /** By name (A to Z), by the last push (newest first) or by size (largest first). */
    public enum Sort { NAME, PUSHED, SIZE }

    public RepositoryQuery {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
    }

    /** The cursor of a page that starts after {@code last} in this order. */
    public static String cursorAfter(Sort sort, RepositoryInfo last) {
        return switch (sort) {
            case NAME -> last.name();
            case SIZE -> last.sizeBytes() + ":" + last.name();
            case PUSHED -> (last.lastPushedAt() == null ? 0 : last.lastPushedAt().toEpochMilli()) + ":" + last.name();
        };
    }
}
