package io.berth.server;

import io.berth.registry.gc.GcRules;
import io.berth.server.auth.RepositoryGlob;
import java.time.Duration;
import java.util.List;

/**
 * Garbage collection: how often it runs inside the server, how young a blob must be to be safe from it, how long
 * referrers outlive a deleted subject, and which repositories lose their untagged manifests.
 *
 * @param interval       between scheduled collections; zero disables the schedule (on demand still works)
 * @param grace          blobs and repository links younger than this are never collected
 * @param referrersDelay referrers of a deleted subject are collected this long after the deletion
 * @param untagged       repositories whose untagged manifests are collected once older than a rule's age
 */
public record GcConfig(Duration interval, Duration grace, Duration referrersDelay, List<UntaggedRule> untagged) {

    public static final GcConfig DEFAULTS = new GcConfig(Duration.ofHours(1), Duration.ofHours(1),
            Duration.ofHours(24), List.of());

    public GcConfig {
        if (interval.isNegative() || grace.isNegative() || referrersDelay.isNegative()) {
            throw new IllegalArgumentException("gc durations must not be negative");
        }
        untagged = List.copyOf(untagged);
    }

    /** The registry's rules; a repository takes the age of the first untagged rule whose globs match it. */
    public GcRules rules() {
        record Compiled(List<RepositoryGlob> globs, Duration olderThan) {
        }
        List<Compiled> compiled = untagged.stream()
                .map(rule -> new Compiled(rule.repositories().stream().map(RepositoryGlob::new).toList(),
                        rule.olderThan()))
                .toList();
        return new GcRules(grace, referrersDelay, repository -> compiled.stream()
                .filter(rule -> rule.globs().stream().anyMatch(glob -> glob.matches(repository)))
                .map(Compiled::olderThan)
                .findFirst());
    }

    /** Untagged manifests in repositories matching any glob are collected once older than {@code olderThan}. */
    public record UntaggedRule(List<String> repositories, Duration olderThan) {
        public UntaggedRule {
            if (olderThan.isNegative()) {
                throw new IllegalArgumentException("gc.untagged olderThan must not be negative");
            }
            repositories = List.copyOf(repositories);
        }
    }
}
