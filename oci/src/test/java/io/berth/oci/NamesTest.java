package io.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "library/ubuntu", "team-a/app_1", "a.b/c__d/e--f", "x0/y1/z2"})
    void repositoryNamesOfTheSpecGrammarAreValid(String name) {
        assertThat(Names.isValidRepository(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A", "Upper/case", "/lead", "trail/", "a//b", "a/../b", "..", "a/./b", "-a", "a-",
        "a..b", "a___b", "a b", "a/%2e%2e"})
    void namesOutsideTheGrammarAreInvalid(String name) {
        assertThat(Names.isValidRepository(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "v1.2.3", "_x", "A-b.C_d"})
    void tagsOfTheSpecGrammarAreValid(String tag) {
        assertThat(Names.isValidTag(tag)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".x", "-x", "a:b", "a/b"})
    void tagsOutsideTheGrammarAreInvalid(String tag) {
        assertThat(Names.isValidTag(tag)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void tagsAreLimitedTo128Characters() {
        assertThat(Names.isValidTag("a".repeat(128))).isTrue();
        assertThat(Names.isValidTag("a".repeat(129))).isFalse();
    }

    @org.junit.jupiter.api.Test
    void repositoryNamesAreLimitedTo255Characters() {
        assertThat(Names.isValidRepository("a".repeat(255))).isTrue();
        assertThat(Names.isValidRepository("a".repeat(256))).isFalse();
    }
}
