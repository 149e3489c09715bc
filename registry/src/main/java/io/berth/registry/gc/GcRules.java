package io.berth.registry.gc;

import java.time.Duration;
import java.util.Optional;

/**
 * What garbage collection may take, and when.
 *
 * @param grace          blobs and repository links younger than this are never collected, so a blob uploaded just
 *                       before its manifest is safe
 * @param referrersDelay referrers of a deleted subject are collected this long after the deletion (or after their
 *                       own push, when that is later)
 * @param untagged       which repositories lose their untagged manifests
 */
public record GcRules(Duration grace, Duration referrersDelay, UntaggedPolicy untagged) {

    /** Whether a repository's untagged manifests are collected, and from what age; empty: never. */
    @FunctionalInterface
    public interface UntaggedPolicy {
        UntaggedPolicy NONE = repository -> Optional.empty();

        Optional<Duration> olderThan(String repository);
    }
}
