package io.berth.server.auth;

import static io.berth.server.testing.AuthFixture.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {
    private static final Identity ALICE = Identity.user("alice", Set.of("dev"));
    private static final Identity BOB = Identity.user("bob", Set.of());

    @Test
    void globsMatchWithinAndAcrossSegments() {
        assertThat(new RepositoryGlob("team/*").matches("team/app")).isTrue();
        assertThat(new RepositoryGlob("team/*").matches("team/app/cache")).isFalse();
        assertThat(new RepositoryGlob("team/**").matches("team/app/cache")).isTrue();
        assertThat(new RepositoryGlob("team/**").matches("team")).isFalse();
        assertThat(new RepositoryGlob("**").matches("a/b/c")).isTrue();
        assertThat(new RepositoryGlob("*/app").matches("team/app")).isTrue();
        assertThat(new RepositoryGlob("*/app").matches("x/team/app")).isFalse();
        assertThat(new RepositoryGlob("team/app-*").matches("team/app-1")).isTrue();
        assertThat(new RepositoryGlob("team/app").matches("team/app2")).isFalse();
    }

    @Test
    void rulesGrantByUserGroupAuthenticatedAndAnonymous() {
        AccessPolicy policy = new AccessPolicy(List.of(
                rule("team/**", "group:dev", "push"),
                rule("team/**", "user:bob", "pull"),
                rule("shared/*", "authenticated", "pull"),
                rule("public/*", "anonymous", "pull"),
                rule("ops/**", "user:alice", "admin")));
        assertThat(policy.allowed(ALICE, "team/app")).containsExactlyInAnyOrder("push");
        assertThat(policy.allowed(BOB, "team/app")).containsExactlyInAnyOrder("pull");
        assertThat(policy.allowed(BOB, "shared/x")).containsExactly("pull");
        assertThat(policy.allowed(Identity.ANONYMOUS, "shared/x")).isEmpty();
        assertThat(policy.allowed(Identity.ANONYMOUS, "public/x")).containsExactly("pull");
        assertThat(policy.allowed(BOB, "public/x")).containsExactly("pull");
        assertThat(policy.allowed(ALICE, "ops/db")).containsExactlyInAnyOrder("pull", "push", "delete", "admin");
        assertThat(policy.allowed(BOB, "ops/db")).isEmpty();
    }

    @Test
    void withoutRulesAuthenticatedUsersMayDoEverythingAndAnonymousNothing() {
        AccessPolicy policy = new AccessPolicy(List.of());
        assertThat(policy.allowed(BOB, "any/thing")).contains("pull", "push", "delete");
        assertThat(policy.allowed(Identity.ANONYMOUS, "any/thing")).isEmpty();
    }

    @Test
    void robotsAreBoundedByTheirGrantAndRulesNamingThem() {
        Identity robot = new Identity(Identity.Kind.ROBOT, "ci", Set.of(), List.of(new Identity.Grant(
                List.of(new RepositoryGlob("team/*")), Set.of("pull", "push"))));
        AccessPolicy open = new AccessPolicy(List.of());
        assertThat(open.allowed(robot, "team/app")).containsExactlyInAnyOrder("pull", "push");
        assertThat(open.allowed(robot, "other/app")).isEmpty();
        AccessPolicy policy = new AccessPolicy(List.of(rule("**", "authenticated", "pull"),
                rule("docs/*", "robot:ci", "delete")));
        assertThat(policy.allowed(robot, "other/app")).isEmpty();
        assertThat(policy.allowed(robot, "docs/x")).containsExactly("delete");
    }

    @Test
    void invalidRulesAreRejectedWithAMessage() {
        assertThatThrownBy(() -> new AccessPolicy(List.of(rule("x/*", "someone", "pull"))))
                .hasMessageContaining("unknown subject 'someone'");
        assertThatThrownBy(() -> new AccessPolicy(List.of(rule("x/*", "anonymous", "write"))))
                .hasMessageContaining("unknown action 'write'");
        assertThatThrownBy(() -> new AccessPolicy(List.of(rule("", "anonymous", "pull"))))
                .hasMessageContaining("must not be empty");
    }

    @Test
    void scopesParseAndPrintAsTheGrammarSays() {
        Scope scope = Scope.parse("repository:team/app:push,pull");
        assertThat(scope.type()).isEqualTo("repository");
        assertThat(scope.name()).isEqualTo("team/app");
        assertThat(scope.toString()).isEqualTo("repository:team/app:pull,push");
        assertThat(Scope.parse("repository:localhost:5000/app:pull").name()).isEqualTo("localhost:5000/app");
        assertThat(Scope.parse("repository(plugin):x:pull").isRepository()).isTrue();
        assertThat(Scope.parse("nonsense")).isNull();
        assertThat(Scope.parseAll(List.of("repository:a:pull repository:b:push", "registry:catalog:*")))
                .extracting(Scope::toString)
                .containsExactly("repository:a:pull", "repository:b:push", "registry:catalog:*");
    }
}
