package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImmutableTagsTest {
    private final ImmutableTags rules = new ImmutableTags(List.of(
            new ImmutableTagsRule(List.of("release/**"), List.of("latest", "*-SNAPSHOT")),
            new ImmutableTagsRule(List.of("frozen/*", "archive"), List.of())));

    @Test
    void aTagInACoveredRepositoryIsImmutableByTheRuleThatCoversIt() {
        assertThat(rules.rule("release/app", "v1"))
                .hasValue("immutableTags rule 1: release/**, except latest, *-SNAPSHOT");
        assertThat(rules.rule("release/team/app", "1.2.3")).isPresent();
        assertThat(rules.rule("frozen/app", "latest")).hasValue("immutableTags rule 2: frozen/*, archive");
        assertThat(rules.rule("archive", "v1")).isPresent();
    }

    @Test
    void exceptedTagsMayMove() {
        assertThat(rules.rule("release/app", "latest")).isEmpty();
        assertThat(rules.rule("release/app", "1.0-SNAPSHOT")).isEmpty();
        assertThat(rules.rule("release/app", "-SNAPSHOT")).as("* matches an empty run too").isEmpty();
        assertThat(rules.rule("release/app", "1.0-SNAPSHOT.1")).as("the whole tag must match").isPresent();
        assertThat(rules.rule("release/app", "latest2")).isPresent();
    }

    @Test
    void repositoriesFollowTheAccessRuleGlobs() {
        assertThat(rules.rule("frozen/app/cache", "v1")).as("* stays within one segment").isEmpty();
        assertThat(rules.rule("released/app", "v1")).isEmpty();
        assertThat(rules.rule("team/app", "v1")).isEmpty();
    }

    @Test
    void anExceptionOfOneRuleDoesNotExemptATagAnotherRuleKeeps() {
        ImmutableTags overlapping = new ImmutableTags(List.of(
                new ImmutableTagsRule(List.of("release/**"), List.of("latest")),
                new ImmutableTagsRule(List.of("release/core/*"), List.of())));

        assertThat(overlapping.rule("release/app", "latest")).isEmpty();
        assertThat(overlapping.rule("release/core/app", "latest")).hasValue("immutableTags rule 2: release/core/*");
    }

    @Test
    void anEmptyPatternIsRejectedNamingTheRule() {
        assertThatThrownBy(() -> new ImmutableTags(List.of(new ImmutableTagsRule(List.of("a/**"), List.of(" ")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("immutableTags rule 1: ");
    }
}
