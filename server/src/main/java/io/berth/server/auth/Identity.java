package io.berth.server.auth;

import java.util.List;
import java.util.Set;

/**
 * Who is calling. Users come from the config or htpasswd (or a client certificate naming one), robots from robot
 * tokens, external subjects from another issuer's tokens; anonymous is everyone else.
 *
 * @param grants access a robot carries with it (its token's repositories and actions); empty for others
 */
public record Identity(Kind kind, String name, Set<String> groups, List<Grant> grants) {

    public enum Kind { ANONYMOUS, USER, ROBOT, EXTERNAL }

    public static final Identity ANONYMOUS = new Identity(Kind.ANONYMOUS, "", Set.of(), List.of());

    public Identity {
        groups = Set.copyOf(groups);
        grants = List.copyOf(grants);
    }

    public static Identity user(String name, Set<String> groups) {
        return new Identity(Kind.USER, name, groups, List.of());
    }

    public boolean authenticated() {
        return kind != Kind.ANONYMOUS;
    }

    /** The {@code sub} of tokens issued to this identity, and its name in logs. */
    public String subject() {
        return kind == Kind.ROBOT ? RobotTokens.USER_PREFIX + name : name;
    }

    /** Actions on the repositories matching any of the patterns. */
    public record Grant(List<RepositoryGlob> repositories, Set<String> actions) {
        public Grant {
            repositories = List.copyOf(repositories);
            actions = Set.copyOf(actions);
        }

        /** Whether one of the patterns is {@code **}, which matches every repository there is or will be. */
        public boolean coversEverything() {
            return repositories.stream().anyMatch(glob -> glob.pattern().equals("**"));
        }

        public boolean covers(String repository) {
            for (RepositoryGlob glob : repositories) {
                if (glob.matches(repository)) {
                    return true;
                }
            }
            return false;
        }
    }
}
