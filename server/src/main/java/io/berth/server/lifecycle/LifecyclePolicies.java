package io.berth.server.lifecycle;

import io.berth.oci.Names;
import io.berth.registry.lifecycle.InvalidPolicyException;
import io.berth.registry.lifecycle.LifecyclePolicy;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.StoredLifecyclePolicy;
import io.berth.server.LifecycleConfig;
import io.berth.server.auth.RepositoryGlob;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which lifecycle policy governs which repository. Policies come from the config file ({@code lifecycle:}, fixed
 * while the server runs) and from the admin API (stored in the database, so every server sharing it sees them).
 *
 * <p>A repository is governed by one policy at most, as in ECR. When several globs match it, the most specific
 * wins: the one with the most characters that are not wildcards ({@code team/app} before {@code team/*} before
 * {@code **}); on a tie, the config file's policy before the API's, and among the config file's the first.
 */
public final class LifecyclePolicies {
    private static final Logger LOG = LoggerFactory.getLogger(LifecyclePolicies.class);

    public enum Source { CONFIG, API }

    /**
     * A policy and the repositories it governs.
     *
     * @param json      the policy's JSON text as given
     * @param updatedAt when it was set through the API; null for the config file's
     */
    public record Assigned(String repositories, Source source, String json, LifecyclePolicy policy,
                           Instant updatedAt) {
        boolean governs(String repository) {
            return new RepositoryGlob(repositories).matches(repository);
        }

        int specificity() {
            return (int) repositories.chars().filter(c -> c != '*').count();
        }
    }

    private final List<Assigned> configured;
    private final MetadataStore metadata;
    private final Clock clock;

    /** @param configured the config file's policies, from {@link #fromConfig} */
    public LifecyclePolicies(List<Assigned> configured, MetadataStore metadata, Clock clock) {
        this.configured = List.copyOf(configured);
        this.metadata = metadata;
        this.clock = clock;
    }

    /**
     * Validates the config file's policies, one entry per glob.
     *
     * @throws IllegalArgumentException naming the glob, rule and field of the first invalid one
     */
    public static List<Assigned> fromConfig(List<LifecycleConfig> config) {
        List<Assigned> assigned = new ArrayList<>();
        for (LifecycleConfig entry : config) {
            if (entry.repositories().isEmpty()) {
                throw new IllegalArgumentException("each lifecycle policy needs repositories");
            }
            for (String glob : entry.repositories()) {
                checkGlob(glob);
            }
            LifecyclePolicy policy;
            try {
                policy = LifecyclePolicy.parse(entry.policyJson());
            } catch (InvalidPolicyException e) {
                throw new IllegalArgumentException("lifecycle policy for " + String.join(", ", entry.repositories())
                        + ": " + e.getMessage(), e);
            }
            for (String glob : entry.repositories()) {
                assigned.add(new Assigned(glob, Source.CONFIG, entry.policyJson(), policy, null));
            }
        }
        return List.copyOf(assigned);
    }

    /** Every policy: the config file's in their order, then the API's by glob. */
    public List<Assigned> all() {
        List<Assigned> all = new ArrayList<>(configured);
        for (StoredLifecyclePolicy stored : metadata.lifecyclePolicies()) {
            try {
                all.add(new Assigned(stored.repositories(), Source.API, stored.policy(),
                        LifecyclePolicy.parse(stored.policy()), stored.updatedAt()));
            } catch (InvalidPolicyException e) {
                // Validated when it was stored; only a policy stored by a laxer version of Berth can get here.
                LOG.warn("ignoring the stored lifecycle policy for {}: {}", stored.repositories(), e.getMessage());
            }
        }
        return all;
    }

    /** The policy among {@code all} that governs the repository, if any. */
    public static Optional<Assigned> governing(List<Assigned> all, String repository) {
        // min() of the reversed order keeps the first of equals: the most specific, and of those the earliest.
        return all.stream().filter(policy -> policy.governs(repository))
                .min(Comparator.comparingInt(Assigned::specificity).reversed());
    }

    /**
     * Validates and stores a policy for a repository glob, replacing the API's policy for that glob.
     *
     * @throws InvalidPolicyException when the policy does not validate
     * @throws IllegalArgumentException when the glob is not one
     */
    public Assigned put(String repositories, String json) {
        checkGlob(repositories);
        LifecyclePolicy policy = LifecyclePolicy.parse(json);
        Instant now = clock.instant();
        metadata.putLifecyclePolicy(new StoredLifecyclePolicy(repositories, json, now));
        return new Assigned(repositories, Source.API, json, policy, now);
    }

    /** Removes the API's policy for the glob; the config file's cannot be removed here. */
    public boolean remove(String repositories) {
        return metadata.deleteLifecyclePolicy(repositories);
    }

    /** Whether the config file has a policy for exactly this glob. */
    public boolean configures(String repositories) {
        return configured.stream().anyMatch(policy -> policy.repositories().equals(repositories));
    }

    /** A glob is a repository name in which some characters are {@code *}. */
    private static void checkGlob(String glob) {
        if (glob == null || glob.isBlank() || !Names.isValidRepository(glob.replace('*', 'a'))) {
            throw new IllegalArgumentException("'" + glob + "' is not a repository glob (a repository name in which "
                    + "* matches within a path segment and ** across segments)");
        }
    }
}
