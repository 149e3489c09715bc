package io.berth.server.lifecycle;

import io.berth.oci.Digest;
import io.berth.registry.events.Actor;
import io.berth.registry.Page;
import io.berth.registry.Registry;
import io.berth.registry.lifecycle.Expiry;
import io.berth.server.lifecycle.LifecyclePolicies.Assigned;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs lifecycle policies: previews what each repository's policy would expire, and expires it. Expiring an image
 * deletes its manifest and tags (through the registry, so its caches forget them) and the index children that
 * nothing else keeps; the blobs and referrers left without a manifest are garbage collection's to remove. Every
 * deletion is audited.
 */
public final class Lifecycle {
    private static final int PAGE = 1000;

    /** What a repository's policy expires now. */
    public record Plan(String repository, Assigned policy, List<Expiry> expiries) {
    }

    /**
     * What applying a plan did: {@code expired} were deleted, {@code skipped} had changed since they were evaluated
     * (retagged, made an index's child, or deleted by someone else) and were left alone, {@code children} are index
     * children deleted with their expired index.
     */
    public record Outcome(Plan plan, List<Expiry> expired, List<Expiry> skipped, List<Digest> children) {
    }

    private final Registry registry;
    private final LifecyclePolicies policies;
    private final Clock clock;

    public Lifecycle(Registry registry, LifecyclePolicies policies, Clock clock) {
        this.registry = registry;
        this.policies = policies;
        this.clock = clock;
    }

    public LifecyclePolicies policies() {
        return policies;
    }

    /**
     * What the policies would expire now, per governed repository.
     *
     * @param repository only this one; null for every repository
     */
    public List<Plan> preview(String repository) {
        // This server's latest pulls count: a sinceImagePulled rule must not expire an image pulled a minute ago.
        registry.flushPulls();
        List<Assigned> all = policies.all();
        Instant now = clock.instant();
        List<Plan> plans = new ArrayList<>();
        for (String name : repositories(repository, all)) {
            Optional<Assigned> policy = LifecyclePolicies.governing(all, name);
            policy.ifPresent(governing -> plans.add(new Plan(name, governing,
                    governing.policy().evaluate(registry.images(name), now))));
        }
        return plans;
    }

    /**
     * Expires what the policies select now.
     *
     * @param repository only this one; null for every repository
     * @param trigger    who asked, for the audit log: {@code schedule}, {@code cli}, or the admin API caller's address
     */
    public List<Outcome> apply(String repository, String trigger) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Plan plan : preview(repository)) {
            List<Expiry> expired = new ArrayList<>();
            List<Expiry> skipped = new ArrayList<>();
            List<Digest> children = new ArrayList<>();
            for (Expiry expiry : plan.expiries()) {
                List<Digest> deleted = ScopedValue.where(Actor.CURRENT, Actor.system("lifecycle", trigger))
                        .call(() -> registry.expireImage(plan.repository(), expiry.image()));
                if (deleted.isEmpty()) {
                    skipped.add(expiry);
                    continue;
                }
                expired.add(expiry);
                children.addAll(deleted.subList(1, deleted.size()));
            }
            outcomes.add(new Outcome(plan, expired, skipped, children));
        }
        return outcomes;
    }

    /** The named repository, or every repository some policy may govern. */
    private List<String> repositories(String repository, List<Assigned> all) {
        if (repository != null) {
            Registry.checkName(repository);
            return List.of(repository);
        }
        List<String> names = new ArrayList<>();
        if (all.isEmpty()) {
            return names;
        }
        String last = null;
        do {
            Page<String> page = registry.catalog(last, PAGE);
            names.addAll(page.items());
            last = page.last();
        } while (last != null);
        return names;
    }
}
