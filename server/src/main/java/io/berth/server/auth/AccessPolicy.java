package io.berth.server.auth;

import io.berth.server.AuthConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What each identity may do to each repository: the union of the config's rules that name it (directly, by group,
 * as {@code authenticated} or {@code anonymous}) and, for a robot, its own grant. {@code admin} includes pull,
 * push and delete. Without any rule, authenticated callers may do everything and anonymous ones nothing.
 */
public final class AccessPolicy {
    public static final Set<String> ACTIONS = Set.of("pull", "push", "delete", "admin");
    private static final Set<String> ALL = Set.of("pull", "push", "delete", "admin");

    private record Rule(Identity.Grant grant, Set<String> subjects) {
    }

    private final List<Rule> rules = new ArrayList<>();
    private final boolean open;

    public AccessPolicy(List<AuthConfig.AccessRule> configured) {
        for (AuthConfig.AccessRule rule : configured) {
            if (rule.repositories().isEmpty() || rule.subjects().isEmpty() || rule.actions().isEmpty()) {
                throw new IllegalArgumentException("each access rule needs repositories, subjects and actions");
            }
            for (String subject : rule.subjects()) {
                if (!subject.equals("anonymous") && !subject.equals("authenticated") && !subject.matches(
                        "(user|group|robot):.+")) {
                    throw new IllegalArgumentException("unknown subject '" + subject
                            + "' (use user:NAME, group:NAME, robot:NAME, authenticated or anonymous)");
                }
            }
            rules.add(new Rule(new Identity.Grant(rule.repositories().stream().map(RepositoryGlob::new).toList(),
                    validActions(rule.actions())), Set.copyOf(rule.subjects())));
        }
        this.open = configured.isEmpty();
    }

    /** Everyone may do everything: the policy of a registry without authentication. */
    public static AccessPolicy everyone() {
        return new AccessPolicy(List.of(new AuthConfig.AccessRule(List.of("**"), List.of("anonymous",
                "authenticated"), List.copyOf(ALL))));
    }

    public static Set<String> validActions(List<String> actions) {
        Set<String> valid = new LinkedHashSet<>();
        for (String action : actions) {
            if (!ACTIONS.contains(action)) {
                throw new IllegalArgumentException("unknown action '" + action + "' (use pull, push, delete, admin)");
            }
            valid.add(action);
        }
        return valid;
    }

    /** The actions {@code identity} may take on {@code repository}, with admin expanded. */
    public Set<String> allowed(Identity identity, String repository) {
        Set<String> actions = new HashSet<>();
        if (open && identity.authenticated() && identity.kind() != Identity.Kind.ROBOT) {
            actions.addAll(ALL);
        }
        for (Identity.Grant grant : identity.grants()) {
            if (grant.covers(repository)) {
                actions.addAll(grant.actions());
            }
        }
        for (Rule rule : rules) {
            if (appliesTo(rule, identity) && rule.grant().covers(repository)) {
                actions.addAll(rule.grant().actions());
            }
        }
        if (actions.contains("admin")) {
            actions.addAll(ALL);
        }
        return actions;
    }

    /**
     * Whether the identity may take the action on every repository, present and future: what registry-wide
     * operations (garbage collection, policies for any repository) need, with {@code admin}.
     */
    public boolean allowsEverywhere(Identity identity, String action) {
        if (open && identity.authenticated() && identity.kind() != Identity.Kind.ROBOT) {
            return true;
        }
        for (Identity.Grant grant : identity.grants()) {
            if (grant.coversEverything() && grant.actions().contains(action)) {
                return true;
            }
        }
        for (Rule rule : rules) {
            if (appliesTo(rule, identity) && rule.grant().coversEverything()
                    && rule.grant().actions().contains(action)) {
                return true;
            }
        }
        return false;
    }

    public boolean allows(Identity identity, String repository, String action) {
        return allowed(identity, repository).contains(action);
    }

    /** Whether any rule lets anonymous callers do anything: then anonymous tokens are worth issuing. */
    public boolean anonymousAllowedAnything() {
        return rules.stream().anyMatch(rule -> rule.subjects().contains("anonymous"));
    }

    /**
     * What anonymous callers may do, everyone may. A robot is bounded by its own grant and the rules naming it:
     * {@code authenticated} does not widen a token made for one job.
     */
    private static boolean appliesTo(Rule rule, Identity identity) {
        Set<String> subjects = rule.subjects();
        if (subjects.contains("anonymous")) {
            return true;
        }
        return switch (identity.kind()) {
            case ANONYMOUS, EXTERNAL -> false;
            case USER -> subjects.contains("authenticated") || subjects.contains("user:" + identity.name())
                    || identity.groups().stream().anyMatch(group -> subjects.contains("group:" + group));
            case ROBOT -> subjects.contains("robot:" + identity.name());
        };
    }
}
